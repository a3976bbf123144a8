// A sharding that splits the axis an op normalizes over is refused, naming
// the dimension and the grid axes, instead of normalizing each piece.
// RUN: ds-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))'

shard.grid @grid(shape = 2)
func.func @norm_over_split_hidden(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %cols : tensor<4x8xf32>
  // expected-error @below {{'ds.rms_norm' op needs the normalized dimension 1 whole on every rank, not split over grid axes [0] (reshard before the op)}}
  %n = ds.rms_norm %xs, %w epsilon = 1.0e-6 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @softmax_over_split_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = shard.sharding @grid split_axes = [[1], [0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<4x8xf32>
  // expected-error @below {{'ds.softmax' op needs dimension 1 whole on every rank, not split over grid axes [0] (reshard before the op)}}
  %p = ds.softmax %xs axis = 1 : tensor<4x8xf32>
  return %p : tensor<4x8xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @attention_over_split_keys(%q: tensor<2x16x4x32xf32>, %k: tensor<2x16x4x32xf32>, %v: tensor<2x16x4x32xf32>) -> tensor<2x16x4x32xf32> {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %ks = shard.shard %k to %s : tensor<2x16x4x32xf32>
  // expected-error @below {{'ds.attention' op needs the key positions whole on every rank, not split over grid axes [0] (reshard before the op)}}
  %o = ds.attention %q, %ks, %v causal : (tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>) -> tensor<2x16x4x32xf32>
  return %o : tensor<2x16x4x32xf32>
}

// -----

// Expert parallelism is not a loop split (tokens must move to their
// experts' ranks): splitting the experts here is refused.
shard.grid @grid(shape = 2)
func.func @experts_split(%x: tensor<8x16xf32>, %w: tensor<8x2xf32>, %idx: tensor<8x2xi32>, %gate: tensor<4x32x16xf32>, %up: tensor<4x32x16xf32>, %down: tensor<4x16x32xf32>) -> tensor<8x16xf32> {
  %e = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %gs = shard.shard %gate to %e : tensor<4x32x16xf32>
  // expected-error @below {{'ds.moe_ffn' op needs the experts whole on every rank, not split over grid axes [0] (reshard before the op)}}
  %y = ds.moe_ffn %x, %w, %idx, %gs, %up, %down : (tensor<8x16xf32>, tensor<8x2xf32>, tensor<8x2xi32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
