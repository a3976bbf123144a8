// Finite-difference checks of the VJPs of the binary elementwise ops, with
// and without broadcasting.
// RUN: ds-gradcheck %s | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: {{[0-9]+}} functions, 0 failed

func.func @add(%a: tensor<3x4xf64>, %b: tensor<4xf64>) -> tensor<3x4xf64> {
  %0 = ds.add %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @sub(%a: tensor<3x1xf64>, %b: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.sub %a, %b : (tensor<3x1xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @mul(%a: tensor<2x3x4xf64>, %b: tensor<3x1xf64>) -> tensor<2x3x4xf64> {
  %0 = ds.mul %a, %b : (tensor<2x3x4xf64>, tensor<3x1xf64>) -> tensor<2x3x4xf64>
  return %0 : tensor<2x3x4xf64>
}
func.func @mul_same_operand(%a: tensor<5xf64>) -> tensor<5xf64> {
  %0 = ds.mul %a, %a : tensor<5xf64>
  return %0 : tensor<5xf64>
}
func.func @div(%a: tensor<3x4xf64>, %b: tensor<4xf64>) -> tensor<3x4xf64> {
  %0 = ds.div %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @max(%a: tensor<3x4xf64>, %b: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.max %a, %b : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @min(%a: tensor<3x4xf64>, %b: tensor<4xf64>) -> tensor<3x4xf64> {
  %0 = ds.min %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @pow(%a: tensor<3x4xf64>, %b: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %base = ds.abs %a : tensor<3x4xf64>
  %0 = ds.pow %base, %b : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @select(%a: tensor<3x4xf64>, %b: tensor<4xf64>) -> tensor<3x4xf64> {
  %mask = ds.constant dense<[[true, false, true, false], [false, false, true, true], [true, true, false, false]]> : tensor<3x4xi1>
  %0 = ds.select %mask, %a, %b : (tensor<3x4xi1>, tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
