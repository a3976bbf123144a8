// Round trip of ds.reduce_sum, ds.reduce_mean and ds.reduce_max: one or several
// axes in any order, with and without keep_dims, dynamic dims, element types.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @reduce_sum_one_axis
// CHECK: ds.reduce_sum %arg0 axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
func.func @reduce_sum_one_axis(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %0 = ds.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @reduce_sum_keep_dims
// CHECK: ds.reduce_sum %arg0 axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
func.func @reduce_sum_keep_dims(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  %0 = ds.reduce_sum %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// Axes in any order; the attribute keeps the order given.
// CHECK-LABEL: func @reduce_sum_unordered_axes_i32
// CHECK: ds.reduce_sum %arg0 axes = [2, 0] : tensor<2x?x8xi32> -> tensor<?xi32>
func.func @reduce_sum_unordered_axes_i32(%x: tensor<2x?x8xi32>) -> tensor<?xi32> {
  %0 = ds.reduce_sum %x axes = [2, 0] : tensor<2x?x8xi32> -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// CHECK-LABEL: func @reduce_sum_i8_f8
// CHECK: ds.reduce_sum %arg0 axes = [0] keep_dims : tensor<16xi8> -> tensor<1xi8>
// CHECK: ds.reduce_sum %arg1 axes = [0, 1] : tensor<4x4xf8E4M3FN> -> tensor<f8E4M3FN>
func.func @reduce_sum_i8_f8(%i: tensor<16xi8>, %q: tensor<4x4xf8E4M3FN>) -> (tensor<1xi8>, tensor<f8E4M3FN>) {
  %0 = ds.reduce_sum %i axes = [0] keep_dims : tensor<16xi8> -> tensor<1xi8>
  %1 = ds.reduce_sum %q axes = [0, 1] : tensor<4x4xf8E4M3FN> -> tensor<f8E4M3FN>
  return %0, %1 : tensor<1xi8>, tensor<f8E4M3FN>
}

// -----

// CHECK-LABEL: func @reduce_mean_all_axes
// CHECK: ds.reduce_mean %arg0 axes = [0, 1, 2] : tensor<2x?x8xbf16> -> tensor<bf16>
func.func @reduce_mean_all_axes(%x: tensor<2x?x8xbf16>) -> tensor<bf16> {
  %0 = ds.reduce_mean %x axes = [0, 1, 2] : tensor<2x?x8xbf16> -> tensor<bf16>
  return %0 : tensor<bf16>
}

// -----

// A kept dynamic dimension becomes 1.
// CHECK-LABEL: func @reduce_mean_keep_dims_dynamic
// CHECK: ds.reduce_mean %arg0 axes = [2, 1] keep_dims : tensor<2x?x?xf16> -> tensor<2x1x1xf16>
func.func @reduce_mean_keep_dims_dynamic(%x: tensor<2x?x?xf16>) -> tensor<2x1x1xf16> {
  %0 = ds.reduce_mean %x axes = [2, 1] keep_dims : tensor<2x?x?xf16> -> tensor<2x1x1xf16>
  return %0 : tensor<2x1x1xf16>
}

// -----

// CHECK-LABEL: func @reduce_mean_f64
// CHECK: ds.reduce_mean %arg0 axes = [0] : tensor<3x5xf64> -> tensor<5xf64>
func.func @reduce_mean_f64(%x: tensor<3x5xf64>) -> tensor<5xf64> {
  %0 = ds.reduce_mean %x axes = [0] : tensor<3x5xf64> -> tensor<5xf64>
  return %0 : tensor<5xf64>
}

// -----

// CHECK-LABEL: func @reduce_max_i64
// CHECK: ds.reduce_max %arg0 axes = [1] keep_dims : tensor<4x8xi64> -> tensor<4x1xi64>
func.func @reduce_max_i64(%x: tensor<4x8xi64>) -> tensor<4x1xi64> {
  %0 = ds.reduce_max %x axes = [1] keep_dims : tensor<4x8xi64> -> tensor<4x1xi64>
  return %0 : tensor<4x1xi64>
}

// -----

// CHECK-LABEL: func @reduce_max_dynamic_kept
// CHECK: ds.reduce_max %arg0 axes = [0] : tensor<?x?xf32> -> tensor<?xf32>
func.func @reduce_max_dynamic_kept(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %0 = ds.reduce_max %x axes = [0] : tensor<?x?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// CHECK-LABEL: func @reduce_max_zero_size_f8E5M2
// CHECK: ds.reduce_max %arg0 axes = [1] : tensor<0x4xf8E5M2> -> tensor<0xf8E5M2>
func.func @reduce_max_zero_size_f8E5M2(%x: tensor<0x4xf8E5M2>) -> tensor<0xf8E5M2> {
  %0 = ds.reduce_max %x axes = [1] : tensor<0x4xf8E5M2> -> tensor<0xf8E5M2>
  return %0 : tensor<0xf8E5M2>
}

// -----

// CHECK-LABEL: func @reduce_from_generic
// CHECK: ds.reduce_sum %arg0 axes = [0] keep_dims : tensor<3x2xf32> -> tensor<1x2xf32>
// CHECK: ds.reduce_max %arg0 axes = [1] : tensor<3x2xf32> -> tensor<3xf32>
func.func @reduce_from_generic(%x: tensor<3x2xf32>) -> (tensor<1x2xf32>, tensor<3xf32>) {
  %0 = "ds.reduce_sum"(%x) <{axes = array<i64: 0>, keep_dims}> : (tensor<3x2xf32>) -> tensor<1x2xf32>
  %1 = "ds.reduce_max"(%x) <{axes = array<i64: 1>}> : (tensor<3x2xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<1x2xf32>, tensor<3xf32>
}
