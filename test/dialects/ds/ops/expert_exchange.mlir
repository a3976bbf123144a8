// Round trip of the ops --ds-shard writes for expert parallelism's
// all-to-all-v: ds.expert_plan, ds.expert_dispatch and ds.expert_combine,
// in the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// A [dp, ep] = [2, 4] grid: the exchange runs over ep (axis 1), 4 ranks of
// 2 experts each; 32 tokens per rank choose 3 experts.
shard.grid @grid(shape = 2x4)

// CHECK-LABEL: func @moe_layer
// CHECK: %[[PLAN:.*]] = ds.expert_plan %[[IDX:[^ ]*]] on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<32x3xi32>) -> tensor<4x4xi64>
// CHECK: %[[RECV:.*]]:2, %[[LOCAL:.*]] = ds.expert_dispatch %[[PLAN]], %[[IDX]], %{{.*}}, %{{.*}} on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<4x4xi64>, tensor<32x3xi32>, tensor<32x64xf32>, tensor<32x3xf32>) -> (tensor<128x64xf32>, tensor<128x3xf32>, tensor<128x3xi32>)
// CHECK: ds.moe_ffn %[[RECV]]#0, %[[RECV]]#1, %[[LOCAL]]
// CHECK: ds.expert_combine %[[PLAN]], %[[IDX]], %{{.*}} on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<4x4xi64>, tensor<32x3xi32>, tensor<128x64xf32>) -> tensor<32x64xf32>
func.func @moe_layer(%x: tensor<32x64xf32>, %w: tensor<32x3xf32>, %idx: tensor<32x3xi32>,
                     %gate: tensor<2x16x64xf32>, %up: tensor<2x16x64xf32>, %down: tensor<2x64x16xf32>) -> tensor<32x64xf32> {
  %plan = ds.expert_plan %idx on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<32x3xi32>) -> tensor<4x4xi64>
  %rx, %rw, %ridx = ds.expert_dispatch %plan, %idx, %x, %w on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<4x4xi64>, tensor<32x3xi32>, tensor<32x64xf32>, tensor<32x3xf32>) -> (tensor<128x64xf32>, tensor<128x3xf32>, tensor<128x3xi32>)
  %y = ds.moe_ffn %rx, %rw, %ridx, %gate, %up, %down : (tensor<128x64xf32>, tensor<128x3xf32>, tensor<128x3xi32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x64x16xf32>) -> tensor<128x64xf32>
  %out = ds.expert_combine %plan, %idx, %y on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<4x4xi64>, tensor<32x3xi32>, tensor<128x64xf32>) -> tensor<32x64xf32>
  return %out : tensor<32x64xf32>
}

// -----

// Only the indices dispatched (no row tensors); rows of any rank.
shard.grid @grid(shape = 2)

// CHECK-LABEL: func @indices_only
// CHECK: ds.expert_dispatch %{{.*}}, %{{.*}} on @grid grid_axes = [0] experts_per_rank = 8 : (tensor<2x2xi64>, tensor<4x2xi64>) -> tensor<8x2xi64>
// CHECK: ds.expert_dispatch %{{.*}}, %{{.*}}, %{{.*}} on @grid grid_axes = [0] experts_per_rank = 8 : (tensor<2x2xi64>, tensor<4x2xi64>, tensor<4x3x5xbf16>) -> (tensor<8x3x5xbf16>, tensor<8x2xi64>)
func.func @indices_only(%plan: tensor<2x2xi64>, %idx: tensor<4x2xi64>, %rows: tensor<4x3x5xbf16>) -> (tensor<8x2xi64>, tensor<8x3x5xbf16>) {
  %local = ds.expert_dispatch %plan, %idx on @grid grid_axes = [0] experts_per_rank = 8 : (tensor<2x2xi64>, tensor<4x2xi64>) -> tensor<8x2xi64>
  %r, %l = ds.expert_dispatch %plan, %idx, %rows on @grid grid_axes = [0] experts_per_rank = 8 : (tensor<2x2xi64>, tensor<4x2xi64>, tensor<4x3x5xbf16>) -> (tensor<8x3x5xbf16>, tensor<8x2xi64>)
  return %local, %r : tensor<8x2xi64>, tensor<8x3x5xbf16>
}
