// RUN: ds-opt %s --ds-print-communication -o /dev/null 2>&1 | FileCheck %s

// Collectives are counted as often as they run: once per layer inside a
// scanned layer function, once per call elsewhere; rows group them by
// collective, grid axes (by their names, when the grid has them) and the
// purpose their ds.reason gives.

// CHECK:      communication per call of @train_step
// CHECK-NEXT: collective axes for ranks count payload (B) sent/rank (B)
// CHECK-NEXT: all_reduce dp gradient 2 5 80 80
// CHECK-NEXT: all_slice dp reshard 2 3 48 0
// CHECK-NEXT: all_gather tp reshard 4 1 64 48
// CHECK-NEXT: total 9 192 128

shard.grid @grid(shape = 2x4) {ds.axis_names = ["dp", "tp"]}

func.func private @layer(%h: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %g = shard.all_reduce %w on @grid grid_axes = [0] {ds.reason = "gradient: w"} : tensor<4xf32> -> tensor<4xf32>
  %s = shard.all_slice %g on @grid grid_axes = [0] slice_axis = 0 {ds.reason = "reshard: test"} : tensor<4xf32> -> tensor<2xf32>
  return %h, %g : tensor<4xf32>, tensor<4xf32>
}

func.func private @head(%x: tensor<4xf32>) -> tensor<16xf32> {
  %g = shard.all_gather %x on @grid grid_axes = [1] gather_axis = 0 {ds.reason = "reshard: test"} : tensor<4xf32> -> tensor<16xf32>
  return %g : tensor<16xf32>
}

func.func @train_step(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<16xf32> {
  %0:2 = ds.scan @layer(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> (tensor<4xf32>, tensor<3x4xf32>)
  %1 = shard.all_reduce %0#0 on @grid grid_axes = [0] {ds.reason = "gradient: h"} : tensor<4xf32> -> tensor<4xf32>
  %2 = shard.all_reduce %1 on @grid grid_axes = [0] {ds.reason = "gradient: h again"} : tensor<4xf32> -> tensor<4xf32>
  %3 = call @head(%2) : (tensor<4xf32>) -> tensor<16xf32>
  return %3 : tensor<16xf32>
}

