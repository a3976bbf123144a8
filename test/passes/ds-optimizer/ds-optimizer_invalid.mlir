// RUN: not ds-opt %s --ds-optimizer 2>&1 | FileCheck %s --check-prefix=NOGRAD
// NOGRAD: error: --ds-optimizer: no gradient function @loss_grad (run --ds-autodiff first, or set grad-function)
// RUN: not ds-opt %s --ds-autodiff --ds-optimizer="loss-scaling=true" 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: error: --ds-optimizer: loss-scaling needs the loss seed as an argument of @loss_grad (run --ds-autodiff=seed-argument=true)
// RUN: not ds-opt %s --ds-autodiff --ds-optimizer="warmup-steps=10 total-steps=5" 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// SCHEDULE: error: --ds-optimizer: total-steps must exceed warmup-steps (or be 0: no decay)
// RUN: not ds-opt %s --ds-autodiff --ds-optimizer="total-steps=5 schedule-argument=true" 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: --ds-optimizer: schedule-argument takes the schedule's length at run time: give it or total-steps, not both
// RUN: not ds-opt %s --ds-autodiff --ds-optimizer="beta1=1.5" 2>&1 | FileCheck %s --check-prefix=BETA
// BETA: error: --ds-optimizer: beta1 and beta2 must lie in [0, 1)
// RUN: not ds-opt %s --ds-autodiff --ds-optimizer="micro-batches=0" 2>&1 | FileCheck %s --check-prefix=MICRO
// MICRO: error: --ds-optimizer: micro-batches must be >= 1

func.func @loss(%w: tensor<4xf32> {ds.param = #ds.param<"w", ones>}) -> tensor<f32> {
  %0 = ds.reduce_sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
