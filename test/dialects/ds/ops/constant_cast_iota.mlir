// Round trip of ds.constant (splat, dense and sparse values of several element
// types), ds.cast (float/int/i1 conversions, dynamic dims) and ds.iota.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @constant_scalar_f32
// CHECK: ds.constant dense<9.99999997E-7> : tensor<f32>
func.func @constant_scalar_f32() -> tensor<f32> {
  %eps = ds.constant dense<1.0e-06> : tensor<f32>
  return %eps : tensor<f32>
}

// -----

// CHECK-LABEL: func @constant_dense_bf16
// CHECK: ds.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xbf16>
func.func @constant_dense_bf16() -> tensor<2x2xbf16> {
  %tbl = ds.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xbf16>
  return %tbl : tensor<2x2xbf16>
}

// -----

// CHECK-LABEL: func @constant_integers
// CHECK: ds.constant dense<[1, 2, 3]> : tensor<3xi32>
// CHECK: ds.constant dense<-7> : tensor<2x2xi64>
// CHECK: ds.constant dense<[true, false]> : tensor<2xi1>
func.func @constant_integers() -> (tensor<3xi32>, tensor<2x2xi64>, tensor<2xi1>) {
  %0 = ds.constant dense<[1, 2, 3]> : tensor<3xi32>
  %1 = ds.constant dense<-7> : tensor<2x2xi64>
  %2 = ds.constant dense<[true, false]> : tensor<2xi1>
  return %0, %1, %2 : tensor<3xi32>, tensor<2x2xi64>, tensor<2xi1>
}

// -----

// CHECK-LABEL: func @constant_fp8
// CHECK: ds.constant dense<4.480000e+02> : tensor<2x3xf8E4M3FN>
// CHECK: ds.constant dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf8E5M2>
func.func @constant_fp8() -> (tensor<2x3xf8E4M3FN>, tensor<2xf8E5M2>) {
  %0 = ds.constant dense<448.0> : tensor<2x3xf8E4M3FN>
  %1 = ds.constant dense<[1.0, -2.0]> : tensor<2xf8E5M2>
  return %0, %1 : tensor<2x3xf8E4M3FN>, tensor<2xf8E5M2>
}

// -----

// Attributes other than `value` print before it; an empty tensor is fine.
// CHECK-LABEL: func @constant_attr_dict_empty
// CHECK: ds.constant {tag} dense<0.000000e+00> : tensor<0x4xf16>
func.func @constant_attr_dict_empty() -> tensor<0x4xf16> {
  %0 = ds.constant {tag} dense<0.0> : tensor<0x4xf16>
  return %0 : tensor<0x4xf16>
}

// -----

// `value` is any elements attribute, e.g. a sparse one.
// CHECK-LABEL: func @constant_sparse
// CHECK: ds.constant sparse<0, 1.000000e+00> : tensor<4xf32>
func.func @constant_sparse() -> tensor<4xf32> {
  %0 = ds.constant sparse<[[0]], [1.0]> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @constant_from_generic
// CHECK: ds.constant dense<2.000000e+00> : tensor<3xf16>
func.func @constant_from_generic() -> tensor<3xf16> {
  %0 = "ds.constant"() <{value = dense<2.0> : tensor<3xf16>}> : () -> tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

// CHECK-LABEL: func @cast_float_to_float
// CHECK: ds.cast %arg0 : tensor<4x8xf32> to tensor<4x8xbf16>
// CHECK: ds.cast %arg0 : tensor<4x8xf32> to tensor<4x8xf8E4M3FN>
// CHECK: ds.cast %arg1 : tensor<4x8xbf16> to tensor<4x8xf32>
// CHECK: ds.cast %arg1 : tensor<4x8xbf16> to tensor<4x8xf8E5M2>
func.func @cast_float_to_float(%x: tensor<4x8xf32>, %y: tensor<4x8xbf16>) -> (tensor<4x8xbf16>, tensor<4x8xf8E4M3FN>, tensor<4x8xf32>, tensor<4x8xf8E5M2>) {
  %0 = ds.cast %x : tensor<4x8xf32> to tensor<4x8xbf16>
  %1 = ds.cast %x : tensor<4x8xf32> to tensor<4x8xf8E4M3FN>
  %2 = ds.cast %y : tensor<4x8xbf16> to tensor<4x8xf32>
  %3 = ds.cast %y : tensor<4x8xbf16> to tensor<4x8xf8E5M2>
  return %0, %1, %2, %3 : tensor<4x8xbf16>, tensor<4x8xf8E4M3FN>, tensor<4x8xf32>, tensor<4x8xf8E5M2>
}

// -----

// CHECK-LABEL: func @cast_float_int_bool
// CHECK: ds.cast %arg0 : tensor<?x8xf32> to tensor<?x8xi32>
// CHECK: ds.cast %arg0 : tensor<?x8xf32> to tensor<?x8xi1>
// CHECK: ds.cast %arg1 : tensor<3xi32> to tensor<3xf16>
// CHECK: ds.cast %arg2 : tensor<3xi1> to tensor<3xf32>
// CHECK: ds.cast %arg1 : tensor<3xi32> to tensor<3xi8>
// CHECK: ds.cast %arg1 : tensor<3xi32> to tensor<3xi64>
func.func @cast_float_int_bool(%x: tensor<?x8xf32>, %i: tensor<3xi32>, %b: tensor<3xi1>) -> (tensor<?x8xi32>, tensor<?x8xi1>, tensor<3xf16>, tensor<3xf32>, tensor<3xi8>, tensor<3xi64>) {
  %0 = ds.cast %x : tensor<?x8xf32> to tensor<?x8xi32>
  %1 = ds.cast %x : tensor<?x8xf32> to tensor<?x8xi1>
  %2 = ds.cast %i : tensor<3xi32> to tensor<3xf16>
  %3 = ds.cast %b : tensor<3xi1> to tensor<3xf32>
  %4 = ds.cast %i : tensor<3xi32> to tensor<3xi8>
  %5 = ds.cast %i : tensor<3xi32> to tensor<3xi64>
  return %0, %1, %2, %3, %4, %5 : tensor<?x8xi32>, tensor<?x8xi1>, tensor<3xf16>, tensor<3xf32>, tensor<3xi8>, tensor<3xi64>
}

// -----

// Casting to the same type is allowed (and folds away under canonicalize).
// CHECK-LABEL: func @cast_same_type
// CHECK: ds.cast %arg0 : tensor<f32> to tensor<f32>
func.func @cast_same_type(%x: tensor<f32>) -> tensor<f32> {
  %0 = ds.cast %x : tensor<f32> to tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func @iota
// CHECK: ds.iota dim = 0 : tensor<16xi32>
// CHECK: ds.iota dim = 1 : tensor<2x?xf32>
// CHECK: ds.iota dim = 2 : tensor<2x3x4xi64>
// CHECK: ds.iota dim = 0 : tensor<8xf8E4M3FN>
// CHECK: ds.iota dim = 0 : tensor<?x4xbf16>
func.func @iota() -> (tensor<16xi32>, tensor<2x?xf32>, tensor<2x3x4xi64>, tensor<8xf8E4M3FN>, tensor<?x4xbf16>) {
  %0 = ds.iota dim = 0 : tensor<16xi32>
  %1 = ds.iota dim = 1 : tensor<2x?xf32>
  %2 = ds.iota dim = 2 : tensor<2x3x4xi64>
  %3 = ds.iota dim = 0 : tensor<8xf8E4M3FN>
  %4 = ds.iota dim = 0 : tensor<?x4xbf16>
  return %0, %1, %2, %3, %4 : tensor<16xi32>, tensor<2x?xf32>, tensor<2x3x4xi64>, tensor<8xf8E4M3FN>, tensor<?x4xbf16>
}
