// Round trip of ds.gather: embedding lookups, other axes, rank-0 and dynamic
// indices, i32 and i64 indices, several element types.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @embedding_lookup
// CHECK: ds.gather %arg0, %arg1 axis = 0 : (tensor<1000x64xf32>, tensor<2x16xi32>) -> tensor<2x16x64xf32>
func.func @embedding_lookup(%wte: tensor<1000x64xf32>, %tokens: tensor<2x16xi32>) -> tensor<2x16x64xf32> {
  %h = ds.gather %wte, %tokens axis = 0 : (tensor<1000x64xf32>, tensor<2x16xi32>) -> tensor<2x16x64xf32>
  return %h : tensor<2x16x64xf32>
}

// -----

// A rank-0 index removes the axis.
// CHECK-LABEL: func @gather_scalar_index_i64
// CHECK: ds.gather %arg0, %arg1 axis = 1 : (tensor<1000x64xbf16>, tensor<i64>) -> tensor<1000xbf16>
func.func @gather_scalar_index_i64(%t: tensor<1000x64xbf16>, %i: tensor<i64>) -> tensor<1000xbf16> {
  %0 = ds.gather %t, %i axis = 1 : (tensor<1000x64xbf16>, tensor<i64>) -> tensor<1000xbf16>
  return %0 : tensor<1000xbf16>
}

// -----

// input.shape[:axis] + indices.shape + input.shape[axis+1:].
// CHECK-LABEL: func @gather_middle_axis_dynamic
// CHECK: ds.gather %arg0, %arg1 axis = 1 : (tensor<4x?x8xf16>, tensor<?xi64>) -> tensor<4x?x8xf16>
// CHECK: ds.gather %arg0, %arg2 axis = 2 : (tensor<4x?x8xf16>, tensor<2x3xi32>) -> tensor<4x?x2x3xf16>
func.func @gather_middle_axis_dynamic(%x: tensor<4x?x8xf16>, %k: tensor<?xi64>, %i: tensor<2x3xi32>) -> (tensor<4x?x8xf16>, tensor<4x?x2x3xf16>) {
  %0 = ds.gather %x, %k axis = 1 : (tensor<4x?x8xf16>, tensor<?xi64>) -> tensor<4x?x8xf16>
  %1 = ds.gather %x, %i axis = 2 : (tensor<4x?x8xf16>, tensor<2x3xi32>) -> tensor<4x?x2x3xf16>
  return %0, %1 : tensor<4x?x8xf16>, tensor<4x?x2x3xf16>
}

// -----

// CHECK-LABEL: func @gather_integer_and_bool_tables
// CHECK: ds.gather %arg0, %arg2 axis = 0 : (tensor<10xi32>, tensor<5xi32>) -> tensor<5xi32>
// CHECK: ds.gather %arg1, %arg2 axis = 0 : (tensor<10x2xi1>, tensor<5xi32>) -> tensor<5x2xi1>
func.func @gather_integer_and_bool_tables(%a: tensor<10xi32>, %b: tensor<10x2xi1>, %i: tensor<5xi32>) -> (tensor<5xi32>, tensor<5x2xi1>) {
  %0 = ds.gather %a, %i axis = 0 : (tensor<10xi32>, tensor<5xi32>) -> tensor<5xi32>
  %1 = ds.gather %b, %i axis = 0 : (tensor<10x2xi1>, tensor<5xi32>) -> tensor<5x2xi1>
  return %0, %1 : tensor<5xi32>, tensor<5x2xi1>
}

// -----

// CHECK-LABEL: func @gather_f8E4M3FN_empty_indices
// CHECK: ds.gather %arg0, %arg1 axis = 0 : (tensor<32x8xf8E4M3FN>, tensor<0xi64>) -> tensor<0x8xf8E4M3FN>
func.func @gather_f8E4M3FN_empty_indices(%t: tensor<32x8xf8E4M3FN>, %i: tensor<0xi64>) -> tensor<0x8xf8E4M3FN> {
  %0 = ds.gather %t, %i axis = 0 : (tensor<32x8xf8E4M3FN>, tensor<0xi64>) -> tensor<0x8xf8E4M3FN>
  return %0 : tensor<0x8xf8E4M3FN>
}
