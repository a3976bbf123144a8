// Finite-difference checks of the VJPs of reductions and softmax.
// RUN: ds-gradcheck %s | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: {{[0-9]+}} functions, 0 failed

func.func @reduce_sum(%x: tensor<2x3x4xf64>) -> tensor<3xf64> {
  %0 = ds.reduce_sum %x axes = [0, 2] : tensor<2x3x4xf64> -> tensor<3xf64>
  return %0 : tensor<3xf64>
}
func.func @reduce_sum_keep_dims(%x: tensor<2x3x4xf64>) -> tensor<2x1x4xf64> {
  %0 = ds.reduce_sum %x axes = [1] keep_dims : tensor<2x3x4xf64> -> tensor<2x1x4xf64>
  return %0 : tensor<2x1x4xf64>
}
func.func @reduce_mean(%x: tensor<2x3x4xf64>) -> tensor<2x4xf64> {
  %0 = ds.reduce_mean %x axes = [1] : tensor<2x3x4xf64> -> tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}
func.func @reduce_max(%x: tensor<3x5xf64>) -> tensor<5xf64> {
  %0 = ds.reduce_max %x axes = [0] : tensor<3x5xf64> -> tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @softmax(%x: tensor<3x5xf64>) -> tensor<3x5xf64> {
  %0 = ds.softmax %x axis = 1 : tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}
func.func @softmax_axis0(%x: tensor<3x5xf64>) -> tensor<3x5xf64> {
  %0 = ds.softmax %x axis = 0 : tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}
func.func @log_softmax(%x: tensor<3x5xf64>) -> tensor<3x5xf64> {
  %0 = ds.log_softmax %x axis = 1 : tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}
