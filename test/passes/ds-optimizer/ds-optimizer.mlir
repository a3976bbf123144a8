// RUN: ds-opt %s --ds-autodiff --ds-optimizer="lr=0.01 warmup-steps=2 total-steps=10" | FileCheck %s
// RUN: ds-opt %s --ds-autodiff --ds-optimizer="micro-batches=4 clip-norm=0" | FileCheck %s --check-prefix=MICRO
// RUN: ds-opt %s --ds-autodiff=seed-argument=true --ds-optimizer="loss-scaling=true" | FileCheck %s --check-prefix=SCALE
// RUN: ds-opt %s --ds-autodiff --ds-optimizer="warmup-steps=2 schedule-argument=true" | FileCheck %s --check-prefix=SCHEDULE

// The step's signature: step, inputs, parameters, AdamW state for every
// parameter but the balanced bias; results: loss, expert load, grad_norm, lr,
// then the new state, each named like the argument it replaces.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %{{.*}}: tensor<i64> {ds.name = "step"}
// CHECK-SAME: {ds.name = "tokens"}
// CHECK-SAME: {ds.param = #ds.param<"norm.weight", ones>}
// CHECK-SAME: {ds.param = #ds.param<"w", normal(0.000000e+00, 1.000000e-01)>}
// CHECK-SAME: {ds.param = #ds.param<"gate.bias", zeros>}
// CHECK-SAME: {ds.name = "exp_avg.norm.weight"}
// CHECK-SAME: {ds.name = "exp_avg.w"}
// CHECK-NOT: exp_avg.gate.bias
// CHECK-SAME: {ds.name = "exp_avg_sq.w"})
// CHECK-SAME: -> (tensor<f32> {ds.name = "loss"}, tensor<4xf32> {ds.balances = "gate.bias", ds.name = "expert_load"}, tensor<f32> {ds.name = "grad_norm"}, tensor<f32> {ds.name = "lr"}, tensor<i64> {ds.name = "step"}, tensor<4xf32> {ds.name = "norm.weight"}, tensor<4x4xf32> {ds.name = "w"}, tensor<4xf32> {ds.name = "gate.bias"}
// CHECK: call @loss_grad(
// Global norm, clipping, the schedule (cosine after warm-up), bias correction.
// CHECK: ds.sqrt
// CHECK: ds.min
// CHECK: ds.cos
// CHECK: ds.compare le
// CHECK: ds.pow
// Only "w" decays (norm and bias are excluded by name): p · (1 - lr · wd).
// CHECK: ds.mul %arg{{[0-9]+}}, %{{.*}} : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
// The bias moves by sign(mean(load) - load) · γ.
// CHECK: ds.reduce_mean %{{.*}} axes = [0] keep_dims
// CHECK: ds.compare gt

// MICRO-LABEL: func.func @train_step(
// MICRO-SAME: tensor<4x2x3xi32> {ds.name = "tokens"}
// MICRO: ds.scan @train_step_micro(
// MICRO-NOT: ds.min
// MICRO: func.func private @train_step_micro(

// SCALE-LABEL: func.func @train_step(
// SCALE-SAME: tensor<f32> {ds.name = "loss_scale"}, %{{.*}}: tensor<i64> {ds.name = "good_steps"})
// SCALE-SAME: tensor<f32> {ds.name = "loss_scale"}, tensor<i64> {ds.name = "good_steps"}, tensor<i1> {ds.name = "update_skipped"})

func.func @loss(%tokens: tensor<2x3xi32> {ds.name = "tokens"},
                %norm: tensor<4xf32> {ds.param = #ds.param<"norm.weight", ones>},
                %w: tensor<4x4xf32> {ds.param = #ds.param<"w", normal(0.0, 0.1)>},
                %bias: tensor<4xf32> {ds.param = #ds.param<"gate.bias", zeros>})
    -> (tensor<f32> {ds.name = "loss"}, tensor<4xf32> {ds.name = "expert_load", ds.balances = "gate.bias"}) {
  %x = ds.cast %tokens : tensor<2x3xi32> to tensor<2x3xf32>
  %h = ds.reduce_sum %x axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
  %h4 = ds.pad %h low = [0] high = [1] : tensor<3xf32> -> tensor<4xf32>
  %n = ds.mul %h4, %norm : tensor<4xf32>
  %y = ds.matmul %w, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %z = ds.mul %y, %n : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  %s = ds.add %z, %bias : (tensor<4x4xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  %l = ds.reduce_mean %s axes = [0, 1] : tensor<4x4xf32> -> tensor<f32>
  %load = ds.exp %bias : tensor<4xf32>
  return %l, %load : tensor<f32>, tensor<4xf32>
}

// The schedule's length as an argument: total_steps after step; the cosine
// runs over max(total - warmup, 1) steps, and a total within the warm-up
// keeps the peak.
// SCHEDULE-LABEL: func.func @train_step(
// SCHEDULE-SAME: %{{.*}}: tensor<i64> {ds.name = "step"}, %[[TOTAL:.*]]: tensor<i64> {ds.name = "total_steps"}
// SCHEDULE-NOT: ds.name = "total_steps"} ->
// SCHEDULE: ds.cast %[[TOTAL]]
// SCHEDULE: ds.max
// SCHEDULE: ds.cos
// SCHEDULE: ds.compare le
