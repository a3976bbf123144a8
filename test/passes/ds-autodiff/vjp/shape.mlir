// Finite-difference checks of the VJPs of the shape ops.
// RUN: ds-gradcheck %s | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: {{[0-9]+}} functions, 0 failed

func.func @reshape(%x: tensor<2x6xf64>) -> tensor<3x4xf64> {
  %0 = ds.reshape %x : tensor<2x6xf64> -> tensor<3x4xf64>
  %1 = ds.exp %0 : tensor<3x4xf64>
  return %1 : tensor<3x4xf64>
}
func.func @transpose(%x: tensor<2x3x4xf64>) -> tensor<4x2x3xf64> {
  %0 = ds.transpose %x permutation = [2, 0, 1] : tensor<2x3x4xf64> -> tensor<4x2x3xf64>
  %1 = ds.square %0 : tensor<4x2x3xf64>
  return %1 : tensor<4x2x3xf64>
}
func.func @broadcast(%x: tensor<3x1xf64>) -> tensor<2x3x4xf64> {
  %0 = ds.broadcast %x : tensor<3x1xf64> -> tensor<2x3x4xf64>
  return %0 : tensor<2x3x4xf64>
}
func.func @slice(%x: tensor<5x6xf64>) -> tensor<2x2xf64> {
  %0 = ds.slice %x starts = [1, 0] limits = [4, 5] strides = [2, 3] : tensor<5x6xf64> -> tensor<2x2xf64>
  return %0 : tensor<2x2xf64>
}
func.func @concat(%a: tensor<2x3xf64>, %b: tensor<2x1xf64>) -> tensor<2x4xf64> {
  %0 = ds.concat %a, %b axis = 1 : (tensor<2x3xf64>, tensor<2x1xf64>) -> tensor<2x4xf64>
  %1 = ds.square %0 : tensor<2x4xf64>
  return %1 : tensor<2x4xf64>
}
// Only one of the pieces is used: the other's cotangent is zero.
func.func @split(%x: tensor<2x5xf64>) -> tensor<2x3xf64> {
  %0:2 = ds.split %x axis = 1 sizes = [2, 3] : tensor<2x5xf64> -> tensor<2x2xf64>, tensor<2x3xf64>
  %1 = ds.exp %0#1 : tensor<2x3xf64>
  return %1 : tensor<2x3xf64>
}
// Repeated indices add up in the gradient.
func.func @gather(%table: tensor<5x3xf64>) -> tensor<2x3x3xf64> {
  %idx = ds.constant dense<[[4, 0, 4], [1, 1, 3]]> : tensor<2x3xi32>
  %0 = ds.gather %table, %idx axis = 0 : (tensor<5x3xf64>, tensor<2x3xi32>) -> tensor<2x3x3xf64>
  return %0 : tensor<2x3x3xf64>
}
func.func @pad(%x: tensor<2x3xf64>) -> tensor<4x7xf64> {
  %0 = ds.pad %x low = [1, 0] high = [1, 2] interior = [0, 1] : tensor<2x3xf64> -> tensor<4x7xf64>
  %1 = ds.exp %0 : tensor<4x7xf64>
  return %1 : tensor<4x7xf64>
}
func.func @scatter_add(%u: tensor<2x3x2xf64>) -> tensor<4x2xf64> {
  %idx = ds.constant dense<[[0, 3, 0], [2, 2, 1]]> : tensor<2x3xi32>
  %0 = ds.scatter_add %u, %idx axis = 0 : (tensor<2x3x2xf64>, tensor<2x3xi32>) -> tensor<4x2xf64>
  %1 = ds.square %0 : tensor<4x2xf64>
  return %1 : tensor<4x2xf64>
}
