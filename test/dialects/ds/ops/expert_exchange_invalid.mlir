// Each verifier rule of ds.expert_plan, ds.expert_dispatch and
// ds.expert_combine.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

shard.grid @grid(shape = 2x4)
func.func @plan_group_mismatch(%idx: tensor<32x3xi32>) -> tensor<2x2xi64> {
  // expected-error@+1 {{'ds.expert_plan' op plans for a group of 2 ranks but grid_axes of @grid span 4 ranks}}
  %plan = ds.expert_plan %idx on @grid grid_axes = [1] experts_per_rank = 2 : (tensor<32x3xi32>) -> tensor<2x2xi64>
  return %plan : tensor<2x2xi64>
}

// -----

func.func @plan_no_grid(%idx: tensor<32x3xi32>) -> tensor<2x2xi64> {
  // expected-error@+1 {{'ds.expert_plan' op refers to @nowhere, which is not a grid}}
  %plan = ds.expert_plan %idx on @nowhere grid_axes = [0] experts_per_rank = 2 : (tensor<32x3xi32>) -> tensor<2x2xi64>
  return %plan : tensor<2x2xi64>
}

// -----

shard.grid @grid(shape = 2x2)
func.func @plan_axes_out_of_order(%idx: tensor<32x3xi32>) -> tensor<4x4xi64> {
  // expected-error@+1 {{'ds.expert_plan' op grid_axes must be distinct axes of @grid in increasing order}}
  %plan = ds.expert_plan %idx on @grid grid_axes = [1, 0] experts_per_rank = 2 : (tensor<32x3xi32>) -> tensor<4x4xi64>
  return %plan : tensor<4x4xi64>
}

// -----

shard.grid @grid(shape = 2)
func.func @plan_not_square(%idx: tensor<32x3xi32>) -> tensor<2x3xi64> {
  // expected-error@+1 {{'ds.expert_plan' op plan must be [G, G] for a group of G ranks, got 'tensor<2x3xi64>'}}
  %plan = ds.expert_plan %idx on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<32x3xi32>) -> tensor<2x3xi64>
  return %plan : tensor<2x3xi64>
}

// -----

shard.grid @grid(shape = 2)
func.func @plan_indices_rank_1(%idx: tensor<32xi32>) -> tensor<2x2xi64> {
  // expected-error@+1 {{'ds.expert_plan' op indices must be a static tensor of rank 2, got 'tensor<32xi32>'}}
  %plan = ds.expert_plan %idx on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<32xi32>) -> tensor<2x2xi64>
  return %plan : tensor<2x2xi64>
}

// -----

shard.grid @grid(shape = 2)
func.func @plan_no_experts(%idx: tensor<32x3xi32>) -> tensor<2x2xi64> {
  // expected-error@+1 {{'ds.expert_plan' op attribute 'experts_per_rank' failed to satisfy constraint}}
  %plan = ds.expert_plan %idx on @grid grid_axes = [0] experts_per_rank = 0 : (tensor<32x3xi32>) -> tensor<2x2xi64>
  return %plan : tensor<2x2xi64>
}

// -----

shard.grid @grid(shape = 2)
func.func @dispatch_rows_mismatch(%plan: tensor<2x2xi64>, %idx: tensor<32x3xi32>, %x: tensor<16x64xf32>) -> tensor<64x64xf32> {
  // expected-error@+1 {{'ds.expert_dispatch' op input #0 has 16 rows, expected 32}}
  %r, %l = ds.expert_dispatch %plan, %idx, %x on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<2x2xi64>, tensor<32x3xi32>, tensor<16x64xf32>) -> (tensor<64x64xf32>, tensor<64x3xi32>)
  return %r : tensor<64x64xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @dispatch_result_rows(%plan: tensor<2x2xi64>, %idx: tensor<32x3xi32>, %x: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error@+1 {{'ds.expert_dispatch' op result #0 must be 'tensor<64x64xf32>', got 'tensor<32x64xf32>'}}
  %r, %l = ds.expert_dispatch %plan, %idx, %x on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<2x2xi64>, tensor<32x3xi32>, tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<64x3xi32>)
  return %r : tensor<32x64xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @dispatch_local_indices(%plan: tensor<2x2xi64>, %idx: tensor<32x3xi32>) -> tensor<64x3xi64> {
  // expected-error@+1 {{'ds.expert_dispatch' op local_indices must be 'tensor<64x3xi32>', got 'tensor<64x3xi64>'}}
  %l = ds.expert_dispatch %plan, %idx on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<2x2xi64>, tensor<32x3xi32>) -> tensor<64x3xi64>
  return %l : tensor<64x3xi64>
}

// -----

shard.grid @grid(shape = 2)
func.func @combine_rows(%plan: tensor<2x2xi64>, %idx: tensor<32x3xi32>, %y: tensor<32x64xf32>) -> tensor<32x64xf32> {
  // expected-error@+1 {{'ds.expert_combine' op input #0 has 32 rows, expected 64}}
  %out = ds.expert_combine %plan, %idx, %y on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<2x2xi64>, tensor<32x3xi32>, tensor<32x64xf32>) -> tensor<32x64xf32>
  return %out : tensor<32x64xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @combine_result(%plan: tensor<2x2xi64>, %idx: tensor<32x3xi32>, %y: tensor<64x64xf32>) -> tensor<32x32xf32> {
  // expected-error@+1 {{'ds.expert_combine' op result #0 must be 'tensor<32x64xf32>', got 'tensor<32x32xf32>'}}
  %out = ds.expert_combine %plan, %idx, %y on @grid grid_axes = [0] experts_per_rank = 2 : (tensor<2x2xi64>, tensor<32x3xi32>, tensor<64x64xf32>) -> tensor<32x32xf32>
  return %out : tensor<32x32xf32>
}
