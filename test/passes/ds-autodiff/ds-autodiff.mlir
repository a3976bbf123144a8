// RUN: ds-opt %s --ds-autodiff -split-input-file | FileCheck %s

// The gradient function keeps the arguments and results and appends one
// gradient per parameter, named after it; non-parameter arguments get none.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: %[[X:.*]]: tensor<4x3xf32> {ds.name = "x"}
// CHECK-SAME: %[[W:.*]]: tensor<3x2xf32> {ds.param = #ds.param<"w", normal(0.000000e+00, 1.000000e-01)>}
// CHECK-SAME: -> (tensor<f32> {ds.name = "loss"}, tensor<3x2xf32> {ds.name = "grad.w"})
// CHECK: %[[Y:.*]] = ds.matmul %[[X]], %[[W]]
// CHECK: %[[T:.*]] = ds.tanh %[[Y]]
// CHECK: %[[L:.*]] = ds.reduce_mean %[[T]]
// CHECK: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// The backward pass reads the forward values directly (same function).
// CHECK: ds.mul %[[T]], %[[T]]
// CHECK: %[[DW:.*]] = ds.matmul %[[X]], %{{.*}} transpose_lhs
// CHECK: return %[[L]], %[[DW]]
func.func @loss(%x: tensor<4x3xf32> {ds.name = "x"}, %w: tensor<3x2xf32> {ds.param = #ds.param<"w", normal(0.0, 0.1)>}) -> (tensor<f32> {ds.name = "loss"}) {
  %0 = ds.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %1 = ds.tanh %0 : tensor<4x2xf32>
  %2 = ds.reduce_mean %1 axes = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A layer function called twice is differentiated once: @layer_fwd returns
// the layer's result and then its residuals (here the tanh output), and
// @layer_bwd takes the arguments, the result's cotangent and the residuals.
// CHECK-LABEL: func.func @loss_grad(
// CHECK: %[[A:.*]]:2 = call @layer_fwd(
// CHECK: %[[B:.*]]:2 = call @layer_fwd(%[[A]]#0,
// CHECK: %[[GB:.*]]:2 = call @layer_bwd(%[[A]]#0, %{{.*}}, %{{.*}}, %[[B]]#1)
// CHECK: call @layer_bwd(%{{.*}}, %{{.*}}, %[[GB]]#0, %[[A]]#1)
// CHECK: func.func private @layer_fwd(%{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<3x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK: %[[H:.*]] = ds.tanh
// CHECK: return %{{.*}}, %[[H]]
// CHECK: func.func private @layer_bwd(%{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<3x3xf32>, %{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x3xf32>)
// CHECK-NOT: func.func private @layer_fwd
func.func private @layer(%h: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<2x3xf32> {
  %0 = ds.matmul %h, %w : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %1 = ds.tanh %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
func.func @loss(%h: tensor<2x3xf32>, %w1: tensor<3x3xf32> {ds.param = #ds.param<"w1", ones>}, %w2: tensor<3x3xf32> {ds.param = #ds.param<"w2", ones>}) -> tensor<f32> {
  %0 = call @layer(%h, %w1) : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %1 = call @layer(%0, %w2) : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %2 = ds.reduce_sum %1 axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A scan: the forward scan stacks each layer's residuals and the carry it
// received; the backward scan runs in reverse over them and returns the
// stacked parameters' gradients. The second result (expert load, say) passes
// through without a gradient.
// CHECK-LABEL: func.func @loss_grad(
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32> {ds.name = "stats"}, tensor<4x3x3xf32> {ds.name = "grad.layers.[0:4].w"})
// CHECK: %[[F:.*]]:4 = ds.scan @layer_fwd_scan(%{{.*}}) stacked(%{{.*}}) : (tensor<2x3xf32>, tensor<4x3x3xf32>) -> (tensor<2x3xf32>, tensor<4xf32>, tensor<4x2x3xf32>, tensor<4x2x3xf32>)
// CHECK: %[[G:.*]]:2 = ds.scan @layer_bwd_scan(%{{.*}}) stacked(%[[F]]#3, %{{.*}}, %[[F]]#2, %{{.*}}) reverse
// CHECK: return %{{.*}}, %[[F]]#1, %[[G]]#1
func.func private @layer(%h: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> (tensor<2x3xf32>, tensor<f32>) {
  %0 = ds.matmul %h, %w : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %1 = ds.tanh %0 : tensor<2x3xf32>
  %2 = ds.reduce_sum %1 axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %1, %2 : tensor<2x3xf32>, tensor<f32>
}
func.func @loss(%h: tensor<2x3xf32>, %w: tensor<4x3x3xf32> {ds.param = #ds.param<"layers.[0:4].w", ones>}) -> (tensor<f32>, tensor<4xf32> {ds.name = "stats"}) {
  %0:2 = ds.scan @layer(%h) stacked(%w) : (tensor<2x3xf32>, tensor<4x3x3xf32>) -> (tensor<2x3xf32>, tensor<4xf32>)
  %1 = ds.reduce_sum %0#0 axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %1, %0#1 : tensor<f32>, tensor<4xf32>
}

// -----

// seed-argument: the loss cotangent is an argument (for loss scaling).
// RUN: ds-opt %s --ds-autodiff="seed-argument=true" -split-input-file | FileCheck %s --check-prefix=SEED
// SEED-LABEL: func.func @loss_grad(
// SEED-SAME: %[[S:[a-z0-9]*]]: tensor<f32> {ds.name = "loss_seed"})
// SEED: ds.mul %[[S]], %{{.*}}
func.func @loss(%x: tensor<4xf32> {ds.param = #ds.param<"x", zeros>}) -> tensor<f32> {
  %0 = ds.reduce_sum %x axes = [0] : tensor<4xf32> -> tensor<f32>
  %1 = ds.mul %0, %0 : tensor<f32>
  return %1 : tensor<f32>
}
