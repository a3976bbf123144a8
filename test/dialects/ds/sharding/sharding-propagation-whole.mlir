// A split of a dimension an op works across (the axis a norm or softmax
// normalizes, attention's key positions, the experts of moe_ffn) is not
// kept: propagation leaves that loop whole, and partition gathers the
// operand first, so the per-rank program computes the same values.
// RUN: ds-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition),canonicalize)' | FileCheck %s

// CHECK-LABEL: func.func @norm_over_split_hidden
// CHECK-SAME: (%[[X:.*]]: tensor<4x4xf32>, %[[W:.*]]: tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[G:.*]] = shard.all_gather %[[X]] on @grid grid_axes = [0] gather_axis = 1 : tensor<4x4xf32> -> tensor<4x8xf32>
// CHECK-NEXT: ds.rms_norm %[[G]], %[[W]]
shard.grid @grid(shape = 2)
func.func @norm_over_split_hidden(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %cols : tensor<4x8xf32>
  %n = ds.rms_norm %xs, %w epsilon = 1.0e-6 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

// On a 2x2 grid the rows stay split over axis 1; the log_softmax axis is
// gathered.
// CHECK-LABEL: func.func @log_softmax_over_split_axis
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: %[[G:.*]] = shard.all_gather %[[X]] on @grid grid_axes = [0] gather_axis = 1 : tensor<2x4xf32> -> tensor<2x8xf32>
// CHECK-NEXT: ds.log_softmax %[[G]] axis = 1 : tensor<2x8xf32>
shard.grid @grid(shape = 2x2)
func.func @log_softmax_over_split_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = shard.sharding @grid split_axes = [[1], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<4x8xf32>
  %p = ds.log_softmax %xs axis = 1 : tensor<4x8xf32>
  return %p : tensor<4x8xf32>
}

// -----

// softmax keeps its axis split (vocabulary-parallel logits): the maximum
// and the sum of exponentials are reduced over the axis's ranks, nothing is
// gathered.
// CHECK-LABEL: func.func @softmax_over_split_axis
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[MAX:.*]] = ds.reduce_max %[[X]] axes = [1] keep_dims : tensor<2x4xf32> -> tensor<2x1xf32>
// CHECK-NEXT: %[[M:.*]] = shard.all_reduce %[[MAX]] on @grid grid_axes = [0] reduction = max {ds.reason = "vocabulary parallel: the maximum of ds.softmax over the split axis"}
// CHECK-NEXT: %[[D:.*]] = ds.sub %[[X]], %[[M]]
// CHECK-NEXT: %[[E:.*]] = ds.exp %[[D]]
// CHECK-NEXT: %[[SUM:.*]] = ds.reduce_sum %[[E]] axes = [1] keep_dims
// CHECK-NEXT: %[[S:.*]] = shard.all_reduce %[[SUM]] on @grid grid_axes = [0] {ds.reason = "vocabulary parallel: the sum of exponentials of ds.softmax over the split axis"}
// CHECK-NEXT: ds.div %[[E]], %[[S]]
// CHECK-NOT: shard.all_gather
shard.grid @grid(shape = 2x2)
func.func @softmax_over_split_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = shard.sharding @grid split_axes = [[1], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<4x8xf32>
  %p = ds.softmax %xs axis = 1 : tensor<4x8xf32>
  return %p : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_over_split_keys
// CHECK: %[[G:.*]] = shard.all_gather %{{.*}} on @grid grid_axes = [0] gather_axis = 1 : tensor<2x8x4x32xf32> -> tensor<2x16x4x32xf32>
// CHECK-NEXT: ds.attention %{{.*}}, %[[G]], %{{.*}} causal
shard.grid @grid(shape = 2)
func.func @attention_over_split_keys(%q: tensor<2x16x4x32xf32>, %k: tensor<2x16x4x32xf32>, %v: tensor<2x16x4x32xf32>) -> tensor<2x16x4x32xf32> {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %ks = shard.shard %k to %s : tensor<2x16x4x32xf32>
  %o = ds.attention %q, %ks, %v causal : (tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>) -> tensor<2x16x4x32xf32>
  return %o : tensor<2x16x4x32xf32>
}

// -----

// Expert parallelism moves tokens, not loops: experts split here are
// gathered for the op.
// CHECK-LABEL: func.func @experts_split
// CHECK: %[[G:.*]] = shard.all_gather %{{.*}} on @grid grid_axes = [0] gather_axis = 0 : tensor<2x32x16xf32> -> tensor<4x32x16xf32>
// CHECK-NEXT: ds.moe_ffn {{.*}}, %[[G]],
shard.grid @grid(shape = 2)
func.func @experts_split(%x: tensor<8x16xf32>, %w: tensor<8x2xf32>, %idx: tensor<8x2xi32>, %gate: tensor<4x32x16xf32>, %up: tensor<4x32x16xf32>, %down: tensor<4x16x32xf32>) -> tensor<8x16xf32> {
  %e = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %gs = shard.shard %gate to %e : tensor<4x32x16xf32>
  %y = ds.moe_ffn %x, %w, %idx, %gs, %up, %down : (tensor<8x16xf32>, tensor<8x2xf32>, tensor<8x2xi32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
