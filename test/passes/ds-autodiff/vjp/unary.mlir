// Finite-difference checks of the VJPs of the unary elementwise ops and casts.
// Inputs have magnitudes in [0.5, 2] with random signs; log, sqrt and rsqrt
// take ds.abs of theirs.
// RUN: ds-gradcheck %s | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: {{[0-9]+}} functions, 0 failed

func.func @neg(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.neg %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @abs(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.abs %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @square(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.square %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @relu(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.relu %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @exp(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.exp %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @log(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %a = ds.abs %x : tensor<3x4xf64>
  %0 = ds.log %a : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @sqrt(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %a = ds.abs %x : tensor<3x4xf64>
  %0 = ds.sqrt %a : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @rsqrt(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %a = ds.abs %x : tensor<3x4xf64>
  %0 = ds.rsqrt %a : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @tanh(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.tanh %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @sigmoid(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.sigmoid %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @silu(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.silu %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @sin(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.sin %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @cos(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.cos %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @gelu(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.gelu %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
func.func @gelu_tanh(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %0 = ds.gelu %x approximate = tanh : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}
