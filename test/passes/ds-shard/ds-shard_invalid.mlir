// RUN: ds-opt %s -split-input-file -verify-diagnostics --ds-shard="dp=3"

// expected-error @below {{--ds-shard: dp=3 does not divide the batch: argument 'tokens' has type 'tensor<2x8xi32>', whose batch dimension 0 has size 2}}
func.func @train_step(%tokens: tensor<2x8xi32> {ds.name = "tokens"}, %w: tensor<8x8xf32>) -> tensor<2x8xi32> {
  return %tokens : tensor<2x8xi32>
}

// -----

// expected-error @below {{--ds-shard: no @train_step to partition (run --ds-autodiff and --ds-optimizer first)}}
module {
  func.func @forward(%tokens: tensor<3x8xi32> {ds.name = "tokens"}) -> tensor<3x8xi32> {
    return %tokens : tensor<3x8xi32>
  }
}
