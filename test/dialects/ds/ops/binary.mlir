// Round trip of the binary elementwise ops ds.add, ds.sub, ds.mul, ds.div,
// ds.max, ds.min and ds.pow: the `: T` form when all types are equal, the
// `: (A, B) -> C` form when broadcasting, dynamic dims and element types.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @add_same_type
// CHECK: ds.add %arg0, %arg1 : tensor<4x8xf32>{{$}}
func.func @add_same_type(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.add %a, %b : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @add_broadcast_row
// CHECK: ds.add %arg0, %arg1 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
func.func @add_broadcast_row(%a: tensor<4x8xf32>, %row: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ds.add %a, %row : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @add_scalar_lhs_i64
// CHECK: ds.add %arg0, %arg1 : (tensor<i64>, tensor<2x3xi64>) -> tensor<2x3xi64>
func.func @add_scalar_lhs_i64(%s: tensor<i64>, %b: tensor<2x3xi64>) -> tensor<2x3xi64> {
  %0 = ds.add %s, %b : (tensor<i64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// Extra attributes go through the attr-dict.
// CHECK-LABEL: func @add_attr_dict
// CHECK: ds.add %arg0, %arg0 {tag = "x"} : tensor<3xf16>{{$}}
func.func @add_attr_dict(%a: tensor<3xf16>) -> tensor<3xf16> {
  %0 = ds.add %a, %a {tag = "x"} : tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

// The functional form with three equal types prints as `: T`.
// CHECK-LABEL: func @sub_functional_form_equal_types
// CHECK: ds.sub %arg0, %arg1 : tensor<4x8xf32>{{$}}
func.func @sub_functional_form_equal_types(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.sub %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @sub_dynamic_bf16
// CHECK: ds.sub %arg0, %arg1 : (tensor<?x8xbf16>, tensor<1x8xbf16>) -> tensor<?x8xbf16>
func.func @sub_dynamic_bf16(%a: tensor<?x8xbf16>, %b: tensor<1x8xbf16>) -> tensor<?x8xbf16> {
  %0 = ds.sub %a, %b : (tensor<?x8xbf16>, tensor<1x8xbf16>) -> tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}

// -----

// CHECK-LABEL: func @sub_i8_same_type
// CHECK: ds.sub %arg0, %arg1 : tensor<16xi8>{{$}}
func.func @sub_i8_same_type(%a: tensor<16xi8>, %b: tensor<16xi8>) -> tensor<16xi8> {
  %0 = ds.sub %a, %b : tensor<16xi8>
  return %0 : tensor<16xi8>
}

// -----

// Both operands contribute a dimension; dynamic dims stay dynamic.
// CHECK-LABEL: func @mul_outer_dynamic_f16
// CHECK: ds.mul %arg0, %arg1 : (tensor<?x1xf16>, tensor<1x?xf16>) -> tensor<?x?xf16>
func.func @mul_outer_dynamic_f16(%a: tensor<?x1xf16>, %b: tensor<1x?xf16>) -> tensor<?x?xf16> {
  %0 = ds.mul %a, %b : (tensor<?x1xf16>, tensor<1x?xf16>) -> tensor<?x?xf16>
  return %0 : tensor<?x?xf16>
}

// -----

// A static size wins over a dynamic one.
// CHECK-LABEL: func @mul_dynamic_meets_static
// CHECK: ds.mul %arg0, %arg1 : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @mul_dynamic_meets_static(%a: tensor<?x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.mul %a, %b : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @mul_same_dynamic
// CHECK: ds.mul %arg0, %arg1 : tensor<?x?xf64>{{$}}
func.func @mul_same_dynamic(%a: tensor<?x?xf64>, %b: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %0 = ds.mul %a, %b : tensor<?x?xf64>
  return %0 : tensor<?x?xf64>
}

// -----

// CHECK-LABEL: func @div_i32
// CHECK: ds.div %arg0, %arg1 : tensor<3xi32>{{$}}
func.func @div_i32(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
  %0 = ds.div %a, %b : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// CHECK-LABEL: func @div_rank0_rhs_f32
// CHECK: ds.div %arg0, %arg1 : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
func.func @div_rank0_rhs_f32(%a: tensor<2x4x8xf32>, %s: tensor<f32>) -> tensor<2x4x8xf32> {
  %0 = ds.div %a, %s : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xf32>
  return %0 : tensor<2x4x8xf32>
}

// -----

// CHECK-LABEL: func @max_f8E4M3FN
// CHECK: ds.max %arg0, %arg1 : tensor<4x8xf8E4M3FN>{{$}}
func.func @max_f8E4M3FN(%a: tensor<4x8xf8E4M3FN>, %b: tensor<4x8xf8E4M3FN>) -> tensor<4x8xf8E4M3FN> {
  %0 = ds.max %a, %b : tensor<4x8xf8E4M3FN>
  return %0 : tensor<4x8xf8E4M3FN>
}

// -----

// CHECK-LABEL: func @max_broadcast_both_i16
// CHECK: ds.max %arg0, %arg1 : (tensor<4x1xi16>, tensor<1x8xi16>) -> tensor<4x8xi16>
func.func @max_broadcast_both_i16(%a: tensor<4x1xi16>, %b: tensor<1x8xi16>) -> tensor<4x8xi16> {
  %0 = ds.max %a, %b : (tensor<4x1xi16>, tensor<1x8xi16>) -> tensor<4x8xi16>
  return %0 : tensor<4x8xi16>
}

// -----

// CHECK-LABEL: func @min_zero_size
// CHECK: ds.min %arg0, %arg1 : (tensor<0x3xf32>, tensor<1x3xf32>) -> tensor<0x3xf32>
func.func @min_zero_size(%a: tensor<0x3xf32>, %b: tensor<1x3xf32>) -> tensor<0x3xf32> {
  %0 = ds.min %a, %b : (tensor<0x3xf32>, tensor<1x3xf32>) -> tensor<0x3xf32>
  return %0 : tensor<0x3xf32>
}

// -----

// CHECK-LABEL: func @min_i32_dynamic
// CHECK: ds.min %arg0, %arg1 : (tensor<?xi32>, tensor<i32>) -> tensor<?xi32>
func.func @min_i32_dynamic(%a: tensor<?xi32>, %b: tensor<i32>) -> tensor<?xi32> {
  %0 = ds.min %a, %b : (tensor<?xi32>, tensor<i32>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// CHECK-LABEL: func @pow_bf16
// CHECK: ds.pow %arg0, %arg1 : tensor<2x2xbf16>{{$}}
func.func @pow_bf16(%a: tensor<2x2xbf16>, %b: tensor<2x2xbf16>) -> tensor<2x2xbf16> {
  %0 = ds.pow %a, %b : tensor<2x2xbf16>
  return %0 : tensor<2x2xbf16>
}

// -----

// CHECK-LABEL: func @pow_scalar_exponent_f8E5M2
// CHECK: ds.pow %arg0, %arg1 : (tensor<?x4xf8E5M2>, tensor<f8E5M2>) -> tensor<?x4xf8E5M2>
func.func @pow_scalar_exponent_f8E5M2(%a: tensor<?x4xf8E5M2>, %e: tensor<f8E5M2>) -> tensor<?x4xf8E5M2> {
  %0 = ds.pow %a, %e : (tensor<?x4xf8E5M2>, tensor<f8E5M2>) -> tensor<?x4xf8E5M2>
  return %0 : tensor<?x4xf8E5M2>
}
