// Folders and canonicalization patterns of the ds dialect, and the cases that
// look alike but must not fold.
// RUN: ds-opt %s -canonicalize -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// x + 0, 0 + x
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @add_zero_rhs
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf32>
func.func @add_zero_rhs(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = ds.constant dense<0.0> : tensor<4x8xf32>
  %0 = ds.add %x, %zero : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @add_zero_lhs
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf32>
func.func @add_zero_lhs(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = ds.constant dense<0.0> : tensor<4x8xf32>
  %0 = ds.add %zero, %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A smaller zero that broadcasts to x's shape still folds: x already has the
// result's type.
// CHECK-LABEL: func @add_zero_broadcast_to_x
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xbf16>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xbf16>
func.func @add_zero_broadcast_to_x(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %zero = ds.constant dense<0.0> : tensor<bf16>
  %0 = ds.add %x, %zero : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// -----

// CHECK-LABEL: func @add_zero_i32
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<16xi32>)
// CHECK-NEXT: return %[[X]] : tensor<16xi32>
func.func @add_zero_i32(%x: tensor<16xi32>) -> tensor<16xi32> {
  %zero = ds.constant dense<0> : tensor<16xi32>
  %0 = ds.add %zero, %x : tensor<16xi32>
  return %0 : tensor<16xi32>
}

// -----

// x + (-0.0) is x exactly.
// CHECK-LABEL: func @add_negative_zero
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<8xf32>
func.func @add_negative_zero(%x: tensor<8xf32>) -> tensor<8xf32> {
  %zero = ds.constant dense<-0.0> : tensor<8xf32>
  %0 = ds.add %x, %zero : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// CHECK-LABEL: func @add_one_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK: %[[ONE:.+]] = ds.constant dense<1.000000e+00> : tensor<4x8xf32>
// CHECK: %[[R:.+]] = ds.add %[[X]], %[[ONE]] : tensor<4x8xf32>
// CHECK: return %[[R]]
func.func @add_one_not_folded(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %one = ds.constant dense<1.0> : tensor<4x8xf32>
  %0 = ds.add %x, %one : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// The zero broadcasts x to a larger shape: the add is a broadcast, not x.
// CHECK-LABEL: func @add_zero_broadcasting_x_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<1x8xf32>)
// CHECK: %[[R:.+]] = ds.add %[[X]], %{{.+}} : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[R]]
func.func @add_zero_broadcasting_x_not_folded(%x: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %zero = ds.constant dense<0.0> : tensor<4x8xf32>
  %0 = ds.add %x, %zero : (tensor<1x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A dynamic x against a static zero: the result is static, x is not.
// CHECK-LABEL: func @add_zero_dynamic_x_not_folded
// CHECK: %[[R:.+]] = ds.add %{{.+}}, %{{.+}} : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[R]]
func.func @add_zero_dynamic_x_not_folded(%x: tensor<?x8xf32>) -> tensor<4x8xf32> {
  %zero = ds.constant dense<0.0> : tensor<4x8xf32>
  %0 = ds.add %x, %zero : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Only a splat zero folds.
// CHECK-LABEL: func @add_non_splat_not_folded
// CHECK: ds.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[R:.+]] = ds.add
// CHECK: return %[[R]]
func.func @add_non_splat_not_folded(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = ds.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %0 = ds.add %x, %c : tensor<2xf32>
  return %0 : tensor<2xf32>
}

//===----------------------------------------------------------------------===//
// x - 0
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @sub_zero
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf16>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf16>
func.func @sub_zero(%x: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %zero = ds.constant dense<0.0> : tensor<8xf16>
  %0 = ds.sub %x, %zero : (tensor<4x8xf16>, tensor<8xf16>) -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

// 0 - x is -x, not x.
// CHECK-LABEL: func @zero_sub_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4xi64>)
// CHECK: %[[Z:.+]] = ds.constant dense<0> : tensor<4xi64>
// CHECK: %[[R:.+]] = ds.sub %[[Z]], %[[X]] : tensor<4xi64>
// CHECK: return %[[R]]
func.func @zero_sub_not_folded(%x: tensor<4xi64>) -> tensor<4xi64> {
  %zero = ds.constant dense<0> : tensor<4xi64>
  %0 = ds.sub %zero, %x : tensor<4xi64>
  return %0 : tensor<4xi64>
}

//===----------------------------------------------------------------------===//
// x * 1, 1 * x
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @mul_one_rhs
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf32>
func.func @mul_one_rhs(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %one = ds.constant dense<1.0> : tensor<f32>
  %0 = ds.mul %x, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @mul_one_lhs
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xi8>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xi8>
func.func @mul_one_lhs(%x: tensor<4x8xi8>) -> tensor<4x8xi8> {
  %one = ds.constant dense<1> : tensor<4x8xi8>
  %0 = ds.mul %one, %x : tensor<4x8xi8>
  return %0 : tensor<4x8xi8>
}

// -----

// The splat 1 broadcasts x from [8] to [4, 8]: folding would change the type.
// CHECK-LABEL: func @mul_one_broadcasting_x_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<8xf32>)
// CHECK: %[[ONE:.+]] = ds.constant dense<1.000000e+00> : tensor<4x8xf32>
// CHECK: %[[R:.+]] = ds.mul %[[X]], %[[ONE]] : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[R]] : tensor<4x8xf32>
func.func @mul_one_broadcasting_x_not_folded(%x: tensor<8xf32>) -> tensor<4x8xf32> {
  %one = ds.constant dense<1.0> : tensor<4x8xf32>
  %0 = ds.mul %x, %one : (tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// The same with the 1 on the left.
// CHECK-LABEL: func @one_mul_broadcasting_x_not_folded
// CHECK: %[[R:.+]] = ds.mul
// CHECK-SAME: -> tensor<4x8xf32>
// CHECK: return %[[R]] : tensor<4x8xf32>
func.func @one_mul_broadcasting_x_not_folded(%x: tensor<8xf32>) -> tensor<4x8xf32> {
  %one = ds.constant dense<1.0> : tensor<4x8xf32>
  %0 = ds.mul %one, %x : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// x * 0 is not 0 (NaN * 0 is NaN) and is left alone.
// CHECK-LABEL: func @mul_zero_not_folded
// CHECK: %[[R:.+]] = ds.mul
// CHECK: return %[[R]]
func.func @mul_zero_not_folded(%x: tensor<8xf32>) -> tensor<8xf32> {
  %zero = ds.constant dense<0.0> : tensor<8xf32>
  %0 = ds.mul %x, %zero : tensor<8xf32>
  return %0 : tensor<8xf32>
}

//===----------------------------------------------------------------------===//
// x / 1
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @div_one
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x3xf64>)
// CHECK-NEXT: return %[[X]] : tensor<2x3xf64>
func.func @div_one(%x: tensor<2x3xf64>) -> tensor<2x3xf64> {
  %one = ds.constant dense<1.0> : tensor<3xf64>
  %0 = ds.div %x, %one : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}

// -----

// CHECK-LABEL: func @div_one_i32
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<5xi32>)
// CHECK-NEXT: return %[[X]] : tensor<5xi32>
func.func @div_one_i32(%x: tensor<5xi32>) -> tensor<5xi32> {
  %one = ds.constant dense<1> : tensor<5xi32>
  %0 = ds.div %x, %one : tensor<5xi32>
  return %0 : tensor<5xi32>
}

// -----

// 1 / x is a reciprocal.
// CHECK-LABEL: func @one_div_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<5xf32>)
// CHECK: %[[ONE:.+]] = ds.constant dense<1.000000e+00> : tensor<5xf32>
// CHECK: %[[R:.+]] = ds.div %[[ONE]], %[[X]] : tensor<5xf32>
// CHECK: return %[[R]]
func.func @one_div_not_folded(%x: tensor<5xf32>) -> tensor<5xf32> {
  %one = ds.constant dense<1.0> : tensor<5xf32>
  %0 = ds.div %one, %x : tensor<5xf32>
  return %0 : tensor<5xf32>
}

//===----------------------------------------------------------------------===//
// -(-x)
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @neg_neg
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4xf32>
func.func @neg_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.neg %x : tensor<4xf32>
  %1 = ds.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Three negations leave one.
// CHECK-LABEL: func @neg_neg_neg
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4xi32>)
// CHECK-NEXT: %[[R:.+]] = ds.neg %[[X]] : tensor<4xi32>
// CHECK-NEXT: return %[[R]]
func.func @neg_neg_neg(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = ds.neg %x : tensor<4xi32>
  %1 = ds.neg %0 : tensor<4xi32>
  %2 = ds.neg %1 : tensor<4xi32>
  return %2 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func @neg_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.neg %[[X]] : tensor<4xf32>
// CHECK-NEXT: return %[[R]]
func.func @neg_not_folded(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.neg %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// Casts
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @cast_same_type
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x?xbf16>)
// CHECK-NEXT: return %[[X]] : tensor<4x?xbf16>
func.func @cast_same_type(%x: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  %0 = ds.cast %x : tensor<4x?xbf16> to tensor<4x?xbf16>
  return %0 : tensor<4x?xbf16>
}

// -----

// A round trip through bf16 rounds: cast(cast(x)) is not x.
// CHECK-LABEL: func @cast_round_trip_not_folded
// CHECK: %[[A:.+]] = ds.cast %{{.+}} : tensor<4xf32> to tensor<4xbf16>
// CHECK: %[[B:.+]] = ds.cast %[[A]] : tensor<4xbf16> to tensor<4xf32>
// CHECK: return %[[B]]
func.func @cast_round_trip_not_folded(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = ds.cast %0 : tensor<4xbf16> to tensor<4xf32>
  return %1 : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// Reshape
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @reshape_same_type
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf32>
func.func @reshape_same_type(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @reshape_of_reshape
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.reshape %[[X]] : tensor<4x8xf32> -> tensor<2x16xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<4x8xf32>) -> tensor<2x16xf32> {
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<32xf32>
  %1 = ds.reshape %0 : tensor<32xf32> -> tensor<2x16xf32>
  return %1 : tensor<2x16xf32>
}

// -----

// A chain back to the input's shape disappears.
// CHECK-LABEL: func @reshape_chain_to_input
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<?x8xf16>)
// CHECK-NEXT: return %[[X]] : tensor<?x8xf16>
func.func @reshape_chain_to_input(%x: tensor<?x8xf16>) -> tensor<?x8xf16> {
  %0 = ds.reshape %x : tensor<?x8xf16> -> tensor<?xf16>
  %1 = ds.reshape %0 : tensor<?xf16> -> tensor<?x2x4xf16>
  %2 = ds.reshape %1 : tensor<?x2x4xf16> -> tensor<?x8xf16>
  return %2 : tensor<?x8xf16>
}

// -----

// CHECK-LABEL: func @reshape_of_constant
// CHECK-NEXT: %[[C:.+]] = ds.constant dense<{{\[\[}}1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_of_constant() -> tensor<2x3xi32> {
  %c = ds.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi32>
  %0 = ds.reshape %c : tensor<6xi32> -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// A reshape to a dynamic shape keeps the reshape: a constant has a static type.
// CHECK-LABEL: func @reshape_of_constant_dynamic_not_folded
// CHECK: %[[C:.+]] = ds.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[R:.+]] = ds.reshape %[[C]] : tensor<4xf32> -> tensor<?x2xf32>
// CHECK: return %[[R]]
func.func @reshape_of_constant_dynamic_not_folded() -> tensor<?x2xf32> {
  %c = ds.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = ds.reshape %c : tensor<4xf32> -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// CHECK-LABEL: func @reshape_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.reshape %[[X]] : tensor<4x8xf32> -> tensor<32xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_not_folded(%x: tensor<4x8xf32>) -> tensor<32xf32> {
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @transpose_identity
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]] : tensor<2x3x4xf32>
func.func @transpose_identity(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = ds.transpose %x permutation = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// A permutation that swaps two equal dimensions keeps the type but moves
// elements.
// CHECK-LABEL: func @transpose_square_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x4xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.transpose %[[X]] permutation = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_square_not_folded(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = ds.transpose %x permutation = [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// transpose(transpose(x, [0, 2, 1, 3]), [1, 2, 0, 3]) = transpose(x, [2, 1, 0, 3]).
// CHECK-LABEL: func @transpose_of_transpose
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x3x4x5xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.transpose %[[X]] permutation = [2, 1, 0, 3] : tensor<2x3x4x5xf32> -> tensor<4x3x2x5xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_of_transpose(%x: tensor<2x3x4x5xf32>) -> tensor<4x3x2x5xf32> {
  %0 = ds.transpose %x permutation = [0, 2, 1, 3] : tensor<2x3x4x5xf32> -> tensor<2x4x3x5xf32>
  %1 = ds.transpose %0 permutation = [1, 2, 0, 3] : tensor<2x4x3x5xf32> -> tensor<4x3x2x5xf32>
  return %1 : tensor<4x3x2x5xf32>
}

// -----

// A permutation followed by its inverse is the identity, which folds away.
// CHECK-LABEL: func @transpose_inverse
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]] : tensor<2x3x4xf32>
func.func @transpose_inverse(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = ds.transpose %x permutation = [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = ds.transpose %0 permutation = [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func @transpose_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x16x4x8xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.transpose %[[X]] permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @transpose_not_folded(%x: tensor<2x16x4x8xf32>) -> tensor<2x4x16x8xf32> {
  %0 = ds.transpose %x permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  return %0 : tensor<2x4x16x8xf32>
}

//===----------------------------------------------------------------------===//
// Broadcast
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @broadcast_same_type
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf32>
func.func @broadcast_same_type(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.broadcast %x : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func @broadcast_splat_constant
// CHECK-NEXT: %[[C:.+]] = ds.constant dense<2.500000e+00> : tensor<4x8xbf16>
// CHECK-NEXT: return %[[C]]
func.func @broadcast_splat_constant() -> tensor<4x8xbf16> {
  %c = ds.constant dense<2.5> : tensor<8xbf16>
  %0 = ds.broadcast %c : tensor<8xbf16> -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// -----

// The broadcast of a splat zero becomes a splat constant, which the add then
// folds away.
// CHECK-LABEL: func @add_broadcast_zero
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]] : tensor<4x8xf32>
func.func @add_broadcast_zero(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = ds.constant dense<0.0> : tensor<f32>
  %b = ds.broadcast %zero : tensor<f32> -> tensor<4x8xf32>
  %0 = ds.add %x, %b : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A non-splat constant is not expanded.
// CHECK-LABEL: func @broadcast_dense_constant_not_folded
// CHECK: %[[C:.+]] = ds.constant dense<[1, 2]> : tensor<2xi32>
// CHECK: %[[R:.+]] = ds.broadcast %[[C]] : tensor<2xi32> -> tensor<3x2xi32>
// CHECK: return %[[R]]
func.func @broadcast_dense_constant_not_folded() -> tensor<3x2xi32> {
  %c = ds.constant dense<[1, 2]> : tensor<2xi32>
  %0 = ds.broadcast %c : tensor<2xi32> -> tensor<3x2xi32>
  return %0 : tensor<3x2xi32>
}

// -----

// A splat broadcast to a dynamic shape stays: a constant has a static type.
// CHECK-LABEL: func @broadcast_splat_dynamic_not_folded
// CHECK: %[[C:.+]] = ds.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: %[[R:.+]] = ds.broadcast %[[C]] : tensor<8xf32> -> tensor<?x8xf32>
// CHECK: return %[[R]]
func.func @broadcast_splat_dynamic_not_folded() -> tensor<?x8xf32> {
  %c = ds.constant dense<1.0> : tensor<8xf32>
  %0 = ds.broadcast %c : tensor<8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func @broadcast_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<8xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.broadcast %[[X]] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: return %[[R]]
func.func @broadcast_not_folded(%x: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = ds.broadcast %x : tensor<8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// Slice, concat, split
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func @slice_full
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<16x128xf32>)
// CHECK-NEXT: return %[[X]] : tensor<16x128xf32>
func.func @slice_full(%x: tensor<16x128xf32>) -> tensor<16x128xf32> {
  %0 = ds.slice %x starts = [0, 0] limits = [16, 128] : tensor<16x128xf32> -> tensor<16x128xf32>
  return %0 : tensor<16x128xf32>
}

// -----

// CHECK-LABEL: func @slice_full_unit_strides
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<16x128xf32>)
// CHECK-NEXT: return %[[X]] : tensor<16x128xf32>
func.func @slice_full_unit_strides(%x: tensor<16x128xf32>) -> tensor<16x128xf32> {
  %0 = ds.slice %x starts = [0, 0] limits = [16, 128] strides = [1, 1] : tensor<16x128xf32> -> tensor<16x128xf32>
  return %0 : tensor<16x128xf32>
}

// -----

// CHECK-LABEL: func @slice_partial_not_folded
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<16x128xf32>)
// CHECK-NEXT: %[[R:.+]] = ds.slice %[[X]] starts = [0, 64] limits = [16, 128] : tensor<16x128xf32> -> tensor<16x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @slice_partial_not_folded(%x: tensor<16x128xf32>) -> tensor<16x64xf32> {
  %0 = ds.slice %x starts = [0, 64] limits = [16, 128] : tensor<16x128xf32> -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// CHECK-LABEL: func @slice_strided_not_folded
// CHECK: %[[R:.+]] = ds.slice %{{.+}} starts = [0] limits = [8] strides = [2] : tensor<8xf32> -> tensor<4xf32>
// CHECK-NEXT: return %[[R]]
func.func @slice_strided_not_folded(%x: tensor<8xf32>) -> tensor<4xf32> {
  %0 = ds.slice %x starts = [0] limits = [8] strides = [2] : tensor<8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @concat_single
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]] : tensor<2x3xf32>
func.func @concat_single(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = ds.concat %x axis = 1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @concat_two_not_folded
// CHECK: %[[R:.+]] = ds.concat %{{.+}}, %{{.+}} axis = 0 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[R]]
func.func @concat_two_not_folded(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %0 = ds.concat %x, %x axis = 0 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func @split_single
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x192xf32>)
// CHECK-NEXT: return %[[X]] : tensor<2x192xf32>
func.func @split_single(%x: tensor<2x192xf32>) -> tensor<2x192xf32> {
  %0 = ds.split %x axis = 1 sizes = [192] : tensor<2x192xf32> -> tensor<2x192xf32>
  return %0 : tensor<2x192xf32>
}

// -----

// CHECK-LABEL: func @split_two_not_folded
// CHECK: %[[R:.+]]:2 = ds.split %{{.+}} axis = 1 sizes = [128, 64] : tensor<2x192xf32> -> tensor<2x128xf32>, tensor<2x64xf32>
// CHECK-NEXT: return %[[R]]#0, %[[R]]#1
func.func @split_two_not_folded(%x: tensor<2x192xf32>) -> (tensor<2x128xf32>, tensor<2x64xf32>) {
  %0:2 = ds.split %x axis = 1 sizes = [128, 64] : tensor<2x192xf32> -> tensor<2x128xf32>, tensor<2x64xf32>
  return %0#0, %0#1 : tensor<2x128xf32>, tensor<2x64xf32>
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

// -----

// Equal constants are merged, unused ones removed.
// CHECK-LABEL: func @constants_deduplicated
// CHECK-NEXT: %[[C:.+]] = ds.constant dense<3.000000e+00> : tensor<4xf32>
// CHECK-NEXT: %[[R:.+]] = ds.mul %[[C]], %[[C]] : tensor<4xf32>
// CHECK-NEXT: return %[[R]]
func.func @constants_deduplicated() -> tensor<4xf32> {
  %a = ds.constant dense<3.0> : tensor<4xf32>
  %unused = ds.constant dense<7.0> : tensor<4xf32>
  %b = ds.constant dense<3.0> : tensor<4xf32>
  %0 = ds.mul %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Constants of the same value but different types stay apart.
// CHECK-LABEL: func @constants_different_types
// CHECK-DAG: ds.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: ds.constant dense<1.000000e+00> : tensor<4xbf16>
func.func @constants_different_types() -> (tensor<4xf32>, tensor<4xbf16>) {
  %a = ds.constant dense<1.0> : tensor<4xf32>
  %b = ds.constant dense<1.0> : tensor<4xbf16>
  return %a, %b : tensor<4xf32>, tensor<4xbf16>
}

// -----

// Folding through a chain: reshape and broadcast of constants become
// constants, and x * 1 then folds.
// CHECK-LABEL: func @fold_chain
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x4xf32>)
// CHECK-NEXT: return %[[X]] : tensor<2x4xf32>
func.func @fold_chain(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %one = ds.constant dense<1.0> : tensor<1x1xf32>
  %r = ds.reshape %one : tensor<1x1xf32> -> tensor<1xf32>
  %b = ds.broadcast %r : tensor<1xf32> -> tensor<2x4xf32>
  %n = ds.neg %x : tensor<2x4xf32>
  %nn = ds.neg %n : tensor<2x4xf32>
  %0 = ds.mul %nn, %b : tensor<2x4xf32>
  %1 = ds.transpose %0 permutation = [1, 0] : tensor<2x4xf32> -> tensor<4x2xf32>
  %2 = ds.transpose %1 permutation = [1, 0] : tensor<4x2xf32> -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}
