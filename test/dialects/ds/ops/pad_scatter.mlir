// Round trip of ds.pad and ds.scatter_add: parse, print, parse again, in both
// the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// Zeros after the elements of the last axis (the transpose of a slice of its
// first half); no interior padding, which is not printed.
// CHECK-LABEL: func @pad_high
// CHECK: ds.pad %{{[a-z0-9_]+}} low = [0, 64] high = [0, 0] : tensor<16x64xf32> -> tensor<16x128xf32>
// CHECK-NOT: interior
func.func @pad_high(%x: tensor<16x64xf32>) -> tensor<16x128xf32> {
  %0 = ds.pad %x low = [0, 64] high = [0, 0] : tensor<16x64xf32> -> tensor<16x128xf32>
  return %0 : tensor<16x128xf32>
}

// -----

// Interior zeros between neighbours (the transpose of a strided slice):
// 1 + 4 + 3 * 1 + 2 = 10 and 0 + 3 + 2 * 2 + 0 = 7.
// CHECK-LABEL: func @pad_interior
// CHECK: ds.pad %{{[a-z0-9_]+}} low = [1, 0] high = [2, 0] interior = [1, 2] : tensor<4x3xbf16> -> tensor<10x7xbf16>
func.func @pad_interior(%x: tensor<4x3xbf16>) -> tensor<10x7xbf16> {
  %0 = ds.pad %x low = [1, 0] high = [2, 0] interior = [1, 2] : tensor<4x3xbf16> -> tensor<10x7xbf16>
  return %0 : tensor<10x7xbf16>
}

// -----

// Integers, rank 0 (nothing to pad), and a dynamic dimension.
// CHECK-LABEL: func @pad_int_rank0_dynamic
// CHECK: ds.pad %{{[a-z0-9_]+}} low = [2] high = [1] : tensor<5xi32> -> tensor<8xi32>
// CHECK: ds.pad %{{[a-z0-9_]+}} low = [] high = [] : tensor<f32> -> tensor<f32>
// CHECK: ds.pad %{{[a-z0-9_]+}} low = [0, 1] high = [0, 1] interior = [0, 1] : tensor<?x4xf64> -> tensor<?x9xf64>
func.func @pad_int_rank0_dynamic(%i: tensor<5xi32>, %s: tensor<f32>, %d: tensor<?x4xf64>) -> (tensor<8xi32>, tensor<f32>, tensor<?x9xf64>) {
  %0 = ds.pad %i low = [2] high = [1] : tensor<5xi32> -> tensor<8xi32>
  %1 = ds.pad %s low = [] high = [] : tensor<f32> -> tensor<f32>
  %2 = ds.pad %d low = [0, 1] high = [0, 1] interior = [0, 1] : tensor<?x4xf64> -> tensor<?x9xf64>
  return %0, %1, %2 : tensor<8xi32>, tensor<f32>, tensor<?x9xf64>
}

// -----

// The backward pass of an embedding lookup: [2, 16] token ids, [2, 16, 64]
// updates, a [1000, 64] table.
// CHECK-LABEL: func @scatter_add_embedding
// CHECK: ds.scatter_add %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} axis = 0 : (tensor<2x16x64xf32>, tensor<2x16xi32>) -> tensor<1000x64xf32>
func.func @scatter_add_embedding(%dh: tensor<2x16x64xf32>, %tokens: tensor<2x16xi32>) -> tensor<1000x64xf32> {
  %0 = ds.scatter_add %dh, %tokens axis = 0 : (tensor<2x16x64xf32>, tensor<2x16xi32>) -> tensor<1000x64xf32>
  return %0 : tensor<1000x64xf32>
}

// -----

// A middle axis with i64 indices, a rank-0 index, integers, dynamic sizes.
// CHECK-LABEL: func @scatter_add_axes
// CHECK: ds.scatter_add %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} axis = 1 : (tensor<3x5x2xbf16>, tensor<5xi64>) -> tensor<3x6x2xbf16>
// CHECK: ds.scatter_add %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} axis = 0 : (tensor<4xi32>, tensor<i32>) -> tensor<3x4xi32>
// CHECK: ds.scatter_add %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} axis = 0 : (tensor<?x8xf32>, tensor<?xi32>) -> tensor<100x8xf32>
func.func @scatter_add_axes(%a: tensor<3x5x2xbf16>, %ia: tensor<5xi64>, %b: tensor<4xi32>, %ib: tensor<i32>, %c: tensor<?x8xf32>, %ic: tensor<?xi32>) -> (tensor<3x6x2xbf16>, tensor<3x4xi32>, tensor<100x8xf32>) {
  %0 = ds.scatter_add %a, %ia axis = 1 : (tensor<3x5x2xbf16>, tensor<5xi64>) -> tensor<3x6x2xbf16>
  %1 = ds.scatter_add %b, %ib axis = 0 : (tensor<4xi32>, tensor<i32>) -> tensor<3x4xi32>
  %2 = ds.scatter_add %c, %ic axis = 0 : (tensor<?x8xf32>, tensor<?xi32>) -> tensor<100x8xf32>
  return %0, %1, %2 : tensor<3x6x2xbf16>, tensor<3x4xi32>, tensor<100x8xf32>
}

// -----

// scatter_add undoes the shape change of gather.
// CHECK-LABEL: func @gather_then_scatter_add
// CHECK: %[[G:[^ ]+]] = ds.gather
// CHECK: ds.scatter_add %[[G]], %{{[a-z0-9_]+}} axis = 0 : (tensor<2x3x4xf32>, tensor<2x3xi32>) -> tensor<6x4xf32>
func.func @gather_then_scatter_add(%t: tensor<6x4xf32>, %i: tensor<2x3xi32>) -> tensor<6x4xf32> {
  %0 = ds.gather %t, %i axis = 0 : (tensor<6x4xf32>, tensor<2x3xi32>) -> tensor<2x3x4xf32>
  %1 = ds.scatter_add %0, %i axis = 0 : (tensor<2x3x4xf32>, tensor<2x3xi32>) -> tensor<6x4xf32>
  return %1 : tensor<6x4xf32>
}
