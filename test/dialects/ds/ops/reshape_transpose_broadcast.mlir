// Round trip of ds.reshape (static, one dynamic result dim, dynamic input,
// rank 0, empty tensors), ds.transpose and ds.broadcast.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @reshape_static
// CHECK: ds.reshape %arg0 : tensor<4x8xf32> -> tensor<4x2x4xf32>
// CHECK: ds.reshape %arg0 : tensor<4x8xf32> -> tensor<32xf32>
func.func @reshape_static(%x: tensor<4x8xf32>) -> (tensor<4x2x4xf32>, tensor<32xf32>) {
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<4x2x4xf32>
  %1 = ds.reshape %x : tensor<4x8xf32> -> tensor<32xf32>
  return %0, %1 : tensor<4x2x4xf32>, tensor<32xf32>
}

// -----

// One result dimension may be dynamic when it divides the element count.
// CHECK-LABEL: func @reshape_one_dynamic_result_dim
// CHECK: ds.reshape %arg0 : tensor<4x8xbf16> -> tensor<?x16xbf16>
func.func @reshape_one_dynamic_result_dim(%x: tensor<4x8xbf16>) -> tensor<?x16xbf16> {
  %0 = ds.reshape %x : tensor<4x8xbf16> -> tensor<?x16xbf16>
  return %0 : tensor<?x16xbf16>
}

// -----

// CHECK-LABEL: func @reshape_dynamic_input
// CHECK: ds.reshape %arg0 : tensor<?x8xf16> -> tensor<?x2x4xf16>
// CHECK: ds.reshape %arg0 : tensor<?x8xf16> -> tensor<64xf16>
func.func @reshape_dynamic_input(%x: tensor<?x8xf16>) -> (tensor<?x2x4xf16>, tensor<64xf16>) {
  %0 = ds.reshape %x : tensor<?x8xf16> -> tensor<?x2x4xf16>
  %1 = ds.reshape %x : tensor<?x8xf16> -> tensor<64xf16>
  return %0, %1 : tensor<?x2x4xf16>, tensor<64xf16>
}

// -----

// CHECK-LABEL: func @reshape_rank0
// CHECK: ds.reshape %arg0 : tensor<i32> -> tensor<1x1xi32>
// CHECK: ds.reshape %arg0 : tensor<i32> -> tensor<?xi32>
// CHECK: ds.reshape %arg1 : tensor<1x1xi32> -> tensor<i32>
func.func @reshape_rank0(%s: tensor<i32>, %m: tensor<1x1xi32>) -> (tensor<1x1xi32>, tensor<?xi32>, tensor<i32>) {
  %0 = ds.reshape %s : tensor<i32> -> tensor<1x1xi32>
  %1 = ds.reshape %s : tensor<i32> -> tensor<?xi32>
  %2 = ds.reshape %m : tensor<1x1xi32> -> tensor<i32>
  return %0, %1, %2 : tensor<1x1xi32>, tensor<?xi32>, tensor<i32>
}

// -----

// CHECK-LABEL: func @reshape_empty_i8
// CHECK: ds.reshape %arg0 : tensor<0x3xi8> -> tensor<?x0xi8>
// CHECK: ds.reshape %arg0 : tensor<0x3xi8> -> tensor<3x0xi8>
func.func @reshape_empty_i8(%x: tensor<0x3xi8>) -> (tensor<?x0xi8>, tensor<3x0xi8>) {
  %0 = ds.reshape %x : tensor<0x3xi8> -> tensor<?x0xi8>
  %1 = ds.reshape %x : tensor<0x3xi8> -> tensor<3x0xi8>
  return %0, %1 : tensor<?x0xi8>, tensor<3x0xi8>
}

// -----

// CHECK-LABEL: func @reshape_i1_f8
// CHECK: ds.reshape %arg0 : tensor<2x3xi1> -> tensor<6xi1>
// CHECK: ds.reshape %arg1 : tensor<16xf8E4M3FN> -> tensor<2x?xf8E4M3FN>
func.func @reshape_i1_f8(%b: tensor<2x3xi1>, %q: tensor<16xf8E4M3FN>) -> (tensor<6xi1>, tensor<2x?xf8E4M3FN>) {
  %0 = ds.reshape %b : tensor<2x3xi1> -> tensor<6xi1>
  %1 = ds.reshape %q : tensor<16xf8E4M3FN> -> tensor<2x?xf8E4M3FN>
  return %0, %1 : tensor<6xi1>, tensor<2x?xf8E4M3FN>
}

// -----

// CHECK-LABEL: func @transpose_heads
// CHECK: ds.transpose %arg0 permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
func.func @transpose_heads(%x: tensor<2x16x4x8xf32>) -> tensor<2x4x16x8xf32> {
  %0 = ds.transpose %x permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  return %0 : tensor<2x4x16x8xf32>
}

// -----

// result.shape[i] = input.shape[permutation[i]], dynamic dims included.
// CHECK-LABEL: func @transpose_rotate_dynamic
// CHECK: ds.transpose %arg0 permutation = [2, 0, 1] : tensor<2x?x4xf16> -> tensor<4x2x?xf16>
func.func @transpose_rotate_dynamic(%x: tensor<2x?x4xf16>) -> tensor<4x2x?xf16> {
  %0 = ds.transpose %x permutation = [2, 0, 1] : tensor<2x?x4xf16> -> tensor<4x2x?xf16>
  return %0 : tensor<4x2x?xf16>
}

// -----

// CHECK-LABEL: func @transpose_identity_and_rank0
// CHECK: ds.transpose %arg0 permutation = [0, 1] : tensor<3x5xi1> -> tensor<3x5xi1>
// CHECK: ds.transpose %arg1 permutation = [] : tensor<bf16> -> tensor<bf16>
func.func @transpose_identity_and_rank0(%b: tensor<3x5xi1>, %s: tensor<bf16>) -> (tensor<3x5xi1>, tensor<bf16>) {
  %0 = ds.transpose %b permutation = [0, 1] : tensor<3x5xi1> -> tensor<3x5xi1>
  %1 = ds.transpose %s permutation = [] : tensor<bf16> -> tensor<bf16>
  return %0, %1 : tensor<3x5xi1>, tensor<bf16>
}

// -----

// CHECK-LABEL: func @transpose_matrix_i64
// CHECK: ds.transpose %arg0 permutation = [1, 0] : tensor<3x7xi64> -> tensor<7x3xi64>
func.func @transpose_matrix_i64(%x: tensor<3x7xi64>) -> tensor<7x3xi64> {
  %0 = ds.transpose %x permutation = [1, 0] : tensor<3x7xi64> -> tensor<7x3xi64>
  return %0 : tensor<7x3xi64>
}

// -----

// CHECK-LABEL: func @broadcast_bias
// CHECK: ds.broadcast %arg0 : tensor<8xf32> -> tensor<4x8xf32>
func.func @broadcast_bias(%bias: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ds.broadcast %bias : tensor<8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Size-1 dims repeat, leading dims are added, dynamic dims are checked later.
// CHECK-LABEL: func @broadcast_ones_and_dynamic
// CHECK: ds.broadcast %arg0 : tensor<1x?xi32> -> tensor<3x5x7xi32>
// CHECK: ds.broadcast %arg1 : tensor<?xbf16> -> tensor<2x?xbf16>
// CHECK: ds.broadcast %arg2 : tensor<8xf8E4M3FN> -> tensor<?x8xf8E4M3FN>
func.func @broadcast_ones_and_dynamic(%a: tensor<1x?xi32>, %b: tensor<?xbf16>, %c: tensor<8xf8E4M3FN>) -> (tensor<3x5x7xi32>, tensor<2x?xbf16>, tensor<?x8xf8E4M3FN>) {
  %0 = ds.broadcast %a : tensor<1x?xi32> -> tensor<3x5x7xi32>
  %1 = ds.broadcast %b : tensor<?xbf16> -> tensor<2x?xbf16>
  %2 = ds.broadcast %c : tensor<8xf8E4M3FN> -> tensor<?x8xf8E4M3FN>
  return %0, %1, %2 : tensor<3x5x7xi32>, tensor<2x?xbf16>, tensor<?x8xf8E4M3FN>
}

// -----

// CHECK-LABEL: func @broadcast_scalar_and_same
// CHECK: ds.broadcast %arg0 : tensor<i1> -> tensor<2x3xi1>
// CHECK: ds.broadcast %arg1 : tensor<4x1xf16> -> tensor<4x1xf16>
func.func @broadcast_scalar_and_same(%s: tensor<i1>, %x: tensor<4x1xf16>) -> (tensor<2x3xi1>, tensor<4x1xf16>) {
  %0 = ds.broadcast %s : tensor<i1> -> tensor<2x3xi1>
  %1 = ds.broadcast %x : tensor<4x1xf16> -> tensor<4x1xf16>
  return %0, %1 : tensor<2x3xi1>, tensor<4x1xf16>
}
