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
