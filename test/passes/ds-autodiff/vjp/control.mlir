// Finite-difference checks through func.call and ds.scan: a layer function
// called twice (differentiated once), and scans with carries, invariants,
// stacked parameters and per-layer outputs, forwards and reversed.
// RUN: ds-gradcheck %s | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: {{[0-9]+}} functions, 0 failed

func.func private @layer(%h: tensor<2x4xf64>, %scale: tensor<4xf64>, %w: tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<f64>) {
  %0 = ds.matmul %h, %w : (tensor<2x4xf64>, tensor<4x4xf64>) -> tensor<2x4xf64>
  %1 = ds.tanh %0 : tensor<2x4xf64>
  %2 = ds.mul %1, %scale : (tensor<2x4xf64>, tensor<4xf64>) -> tensor<2x4xf64>
  %3 = ds.add %h, %2 : tensor<2x4xf64>
  %4 = ds.reduce_sum %1 axes = [0, 1] : tensor<2x4xf64> -> tensor<f64>
  return %3, %4 : tensor<2x4xf64>, tensor<f64>
}

func.func @calls(%h: tensor<2x4xf64>, %scale: tensor<4xf64>, %w1: tensor<4x4xf64>, %w2: tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<f64>) {
  %0:2 = call @layer(%h, %scale, %w1) : (tensor<2x4xf64>, tensor<4xf64>, tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<f64>)
  %1:2 = call @layer(%0#0, %scale, %w2) : (tensor<2x4xf64>, tensor<4xf64>, tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<f64>)
  %2 = ds.mul %0#1, %1#1 : tensor<f64>
  return %1#0, %2 : tensor<2x4xf64>, tensor<f64>
}

func.func @scan(%h: tensor<2x4xf64>, %scale: tensor<4xf64>, %w: tensor<3x4x4xf64>) -> (tensor<2x4xf64>, tensor<3xf64>) {
  %0:2 = ds.scan @layer(%h) invariant(%scale) stacked(%w) : (tensor<2x4xf64>, tensor<4xf64>, tensor<3x4x4xf64>) -> (tensor<2x4xf64>, tensor<3xf64>)
  return %0#0, %0#1 : tensor<2x4xf64>, tensor<3xf64>
}

func.func @scan_reverse(%h: tensor<2x4xf64>, %scale: tensor<4xf64>, %w: tensor<3x4x4xf64>) -> (tensor<2x4xf64>, tensor<3xf64>) {
  %0:2 = ds.scan @layer(%h) invariant(%scale) stacked(%w) reverse : (tensor<2x4xf64>, tensor<4xf64>, tensor<3x4x4xf64>) -> (tensor<2x4xf64>, tensor<3xf64>)
  return %0#0, %0#1 : tensor<2x4xf64>, tensor<3xf64>
}

// Two scans over the same layer function (differentiated once) with an op
// between them, as a model with two kinds of layers has.
func.func @two_scans(%h: tensor<2x4xf64>, %scale: tensor<4xf64>, %w1: tensor<2x4x4xf64>, %w2: tensor<1x4x4xf64>) -> tensor<2x4xf64> {
  %0:2 = ds.scan @layer(%h) invariant(%scale) stacked(%w1) : (tensor<2x4xf64>, tensor<4xf64>, tensor<2x4x4xf64>) -> (tensor<2x4xf64>, tensor<2xf64>)
  %1 = ds.sigmoid %0#0 : tensor<2x4xf64>
  %2:2 = ds.scan @layer(%1) invariant(%scale) stacked(%w2) : (tensor<2x4xf64>, tensor<4xf64>, tensor<1x4x4xf64>) -> (tensor<2x4xf64>, tensor<1xf64>)
  return %2#0 : tensor<2x4xf64>
}
