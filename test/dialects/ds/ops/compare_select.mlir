// Round trip of ds.compare (every predicate, broadcasting, element types) and
// ds.select (broadcasting of the condition and of both values).
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @compare_all_predicates
// CHECK: ds.compare eq, %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK: ds.compare ne, %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK: ds.compare lt, %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK: ds.compare le, %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK: ds.compare gt, %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK: ds.compare ge, %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
func.func @compare_all_predicates(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = ds.compare eq, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %1 = ds.compare ne, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %2 = ds.compare lt, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %3 = ds.compare le, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %4 = ds.compare gt, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %5 = ds.compare ge, %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func @compare_broadcast_scalar_i32
// CHECK: ds.compare lt, %arg0, %arg1 : (tensor<8xi32>, tensor<i32>) -> tensor<8xi1>
func.func @compare_broadcast_scalar_i32(%pos: tensor<8xi32>, %limit: tensor<i32>) -> tensor<8xi1> {
  %mask = ds.compare lt, %pos, %limit : (tensor<8xi32>, tensor<i32>) -> tensor<8xi1>
  return %mask : tensor<8xi1>
}

// -----

// CHECK-LABEL: func @compare_outer_bf16
// CHECK: ds.compare ge, %arg0, %arg1 : (tensor<4x1xbf16>, tensor<1x8xbf16>) -> tensor<4x8xi1>
func.func @compare_outer_bf16(%a: tensor<4x1xbf16>, %b: tensor<1x8xbf16>) -> tensor<4x8xi1> {
  %0 = ds.compare ge, %a, %b : (tensor<4x1xbf16>, tensor<1x8xbf16>) -> tensor<4x8xi1>
  return %0 : tensor<4x8xi1>
}

// -----

// i1 operands are allowed.
// CHECK-LABEL: func @compare_i1
// CHECK: ds.compare ne, %arg0, %arg1 : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
func.func @compare_i1(%a: tensor<3xi1>, %b: tensor<3xi1>) -> tensor<3xi1> {
  %0 = ds.compare ne, %a, %b : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// CHECK-LABEL: func @compare_dynamic_f8E4M3FN
// CHECK: ds.compare gt, %arg0, %arg1 : (tensor<?x16xf8E4M3FN>, tensor<16xf8E4M3FN>) -> tensor<?x16xi1>
func.func @compare_dynamic_f8E4M3FN(%a: tensor<?x16xf8E4M3FN>, %b: tensor<16xf8E4M3FN>) -> tensor<?x16xi1> {
  %0 = ds.compare gt, %a, %b : (tensor<?x16xf8E4M3FN>, tensor<16xf8E4M3FN>) -> tensor<?x16xi1>
  return %0 : tensor<?x16xi1>
}

// -----

// CHECK-LABEL: func @compare_f16_i64
// CHECK: ds.compare le, %arg0, %arg0 : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xi1>
// CHECK: ds.compare eq, %arg1, %arg1 : (tensor<i64>, tensor<i64>) -> tensor<i1>
func.func @compare_f16_i64(%a: tensor<2xf16>, %b: tensor<i64>) -> (tensor<2xi1>, tensor<i1>) {
  %0 = ds.compare le, %a, %a : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xi1>
  %1 = ds.compare eq, %b, %b : (tensor<i64>, tensor<i64>) -> tensor<i1>
  return %0, %1 : tensor<2xi1>, tensor<i1>
}

// -----

// CHECK-LABEL: func @select_same_shapes
// CHECK: ds.select %arg0, %arg1, %arg2 : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @select_same_shapes(%c: tensor<4x8xi1>, %t: tensor<4x8xf32>, %f: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.select %c, %t, %f : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A scalar on_false broadcasts to the others' shape (masking with -inf).
// CHECK-LABEL: func @select_scalar_value
// CHECK: ds.select %arg0, %arg1, %arg2 : (tensor<8x8xi1>, tensor<8x8xf32>, tensor<f32>) -> tensor<8x8xf32>
func.func @select_scalar_value(%mask: tensor<8x8xi1>, %scores: tensor<8x8xf32>, %neg_inf: tensor<f32>) -> tensor<8x8xf32> {
  %0 = ds.select %mask, %scores, %neg_inf : (tensor<8x8xi1>, tensor<8x8xf32>, tensor<f32>) -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// The condition joins the shape: [2, 1] with [3] gives [2, 3].
// CHECK-LABEL: func @select_condition_broadcasts
// CHECK: ds.select %arg0, %arg1, %arg2 : (tensor<2x1xi1>, tensor<3xbf16>, tensor<bf16>) -> tensor<2x3xbf16>
func.func @select_condition_broadcasts(%c: tensor<2x1xi1>, %t: tensor<3xbf16>, %f: tensor<bf16>) -> tensor<2x3xbf16> {
  %0 = ds.select %c, %t, %f : (tensor<2x1xi1>, tensor<3xbf16>, tensor<bf16>) -> tensor<2x3xbf16>
  return %0 : tensor<2x3xbf16>
}

// -----

// CHECK-LABEL: func @select_scalar_condition_i32
// CHECK: ds.select %arg0, %arg1, %arg2 : (tensor<i1>, tensor<1x5xi32>, tensor<3x1xi32>) -> tensor<3x5xi32>
func.func @select_scalar_condition_i32(%c: tensor<i1>, %t: tensor<1x5xi32>, %f: tensor<3x1xi32>) -> tensor<3x5xi32> {
  %0 = ds.select %c, %t, %f : (tensor<i1>, tensor<1x5xi32>, tensor<3x1xi32>) -> tensor<3x5xi32>
  return %0 : tensor<3x5xi32>
}

// -----

// CHECK-LABEL: func @select_i1_values
// CHECK: ds.select %arg0, %arg1, %arg1 : (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
func.func @select_i1_values(%c: tensor<3xi1>, %v: tensor<3xi1>) -> tensor<3xi1> {
  %0 = ds.select %c, %v, %v : (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// CHECK-LABEL: func @select_dynamic_f16
// CHECK: ds.select %arg0, %arg1, %arg2 : (tensor<?x1xi1>, tensor<?x4xf16>, tensor<4xf16>) -> tensor<?x4xf16>
func.func @select_dynamic_f16(%c: tensor<?x1xi1>, %t: tensor<?x4xf16>, %f: tensor<4xf16>) -> tensor<?x4xf16> {
  %0 = ds.select %c, %t, %f : (tensor<?x1xi1>, tensor<?x4xf16>, tensor<4xf16>) -> tensor<?x4xf16>
  return %0 : tensor<?x4xf16>
}
