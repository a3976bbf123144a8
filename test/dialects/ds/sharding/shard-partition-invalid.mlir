// IR annotated by hand and partitioned without propagation can still ask an
// op to work across a split dimension: partition refuses it, naming what
// must stay whole, instead of normalizing each piece.
// RUN: ds-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(shard-partition))'

shard.grid @grid(shape = 2)
func.func @norm_over_split_hidden(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<4x8xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %rep = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %xs = shard.shard %x to %cols annotate_for_users : tensor<4x8xf32>
  %ws = shard.shard %w to %cols annotate_for_users : tensor<8xf32>
  // expected-error @below {{'ds.rms_norm' op needs the normalized dimension 1 whole on every rank, not split over grid axes [0] (reshard before the op)}}
  %n = ds.rms_norm %xs, %ws epsilon = 1.0e-6 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %ns = shard.shard %n to %cols : tensor<4x8xf32>
  return %ns : tensor<4x8xf32>
}
