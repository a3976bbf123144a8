// Round trip of ds.scan in the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

func.func @layer(%h: tensor<2x8xf32>, %pos: tensor<8xi32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = ds.matmul %h, %w : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %1 = ds.add %0, %b : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}

// CHECK-LABEL: func @carry_invariant_stacked
// CHECK: ds.scan @layer(%{{.*}}) invariant(%{{.*}}) stacked(%{{.*}}, %{{.*}}) : (tensor<2x8xf32>, tensor<8xi32>, tensor<3x8x8xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
func.func @carry_invariant_stacked(%h: tensor<2x8xf32>, %pos: tensor<8xi32>, %w: tensor<3x8x8xf32>, %b: tensor<3x8xf32>) -> tensor<2x8xf32> {
  %0 = ds.scan @layer(%h) invariant(%pos) stacked(%w, %b) : (tensor<2x8xf32>, tensor<8xi32>, tensor<3x8x8xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Per-layer outputs are stacked along a new leading dimension; invariants
// are optional.
func.func @step(%h: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %0 = ds.mul %h, %w : tensor<4xf32>
  %1 = ds.reduce_sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %0, %1 : tensor<4xf32>, tensor<f32>
}

// CHECK-LABEL: func @stacked_outputs
// CHECK: %{{.*}}:2 = ds.scan @step(%{{.*}}) stacked(%{{.*}}) : (tensor<4xf32>, tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5xf32>)
func.func @stacked_outputs(%h: tensor<4xf32>, %w: tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5xf32>) {
  %0:2 = ds.scan @step(%h) stacked(%w) : (tensor<4xf32>, tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5xf32>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<5xf32>
}

// -----

// No carries: a map over layers.
func.func @norm(%w: tensor<4xf32>) -> tensor<f32> {
  %0 = ds.reduce_sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func @map_only
// CHECK: ds.scan @norm() stacked(%{{.*}}) : (tensor<6x4xf32>) -> tensor<6xf32>
func.func @map_only(%w: tensor<6x4xf32>) -> tensor<6xf32> {
  %0 = ds.scan @norm() stacked(%w) : (tensor<6x4xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// With `reverse` the layers run from the last to the first (the backward
// pass of a scan); the attribute comes after the stacked operands.
func.func @step_back(%h: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = ds.mul %h, %w : tensor<4xf32>
  return %0, %h : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func @reverse
// CHECK: %{{.*}}:2 = ds.scan @step_back(%{{.*}}) stacked(%{{.*}}) reverse : (tensor<4xf32>, tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5x4xf32>)
// CHECK: ds.scan @layer(%{{.*}}) invariant(%{{.*}}) stacked(%{{.*}}, %{{.*}}) reverse : (tensor<2x8xf32>, tensor<8xi32>, tensor<3x8x8xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
func.func @reverse(%h: tensor<4xf32>, %w: tensor<5x4xf32>, %g: tensor<2x8xf32>, %pos: tensor<8xi32>, %wl: tensor<3x8x8xf32>, %b: tensor<3x8xf32>) -> (tensor<4xf32>, tensor<5x4xf32>, tensor<2x8xf32>) {
  %0:2 = ds.scan @step_back(%h) stacked(%w) reverse : (tensor<4xf32>, tensor<5x4xf32>) -> (tensor<4xf32>, tensor<5x4xf32>)
  %1 = ds.scan @layer(%g) invariant(%pos) stacked(%wl, %b) reverse : (tensor<2x8xf32>, tensor<8xi32>, tensor<3x8x8xf32>, tensor<3x8xf32>) -> tensor<2x8xf32>
  return %0#0, %0#1, %1 : tensor<4xf32>, tensor<5x4xf32>, tensor<2x8xf32>
}

func.func @layer(%h: tensor<2x8xf32>, %pos: tensor<8xi32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = ds.matmul %h, %w : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %1 = ds.add %0, %b : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}
