// Finite-difference checks of the VJPs of matmul, norms, rotary embeddings,
// attention, MoE routing and experts, and cross-entropy.
// RUN: ds-gradcheck %s | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: gradcheck: {{[0-9]+}} functions, 0 failed

func.func @matmul(%a: tensor<3x4xf64>, %b: tensor<4x5xf64>) -> tensor<3x5xf64> {
  %0 = ds.matmul %a, %b : (tensor<3x4xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}
func.func @matmul_transpose_lhs(%a: tensor<4x3xf64>, %b: tensor<4x5xf64>) -> tensor<3x5xf64> {
  %0 = ds.matmul %a, %b transpose_lhs : (tensor<4x3xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}
func.func @matmul_transpose_rhs(%a: tensor<2x3x4xf64>, %b: tensor<5x4xf64>) -> tensor<2x3x5xf64> {
  %0 = ds.matmul %a, %b transpose_rhs : (tensor<2x3x4xf64>, tensor<5x4xf64>) -> tensor<2x3x5xf64>
  return %0 : tensor<2x3x5xf64>
}
func.func @matmul_transpose_both(%a: tensor<2x4x3xf64>, %b: tensor<5x4xf64>) -> tensor<2x3x5xf64> {
  %0 = ds.matmul %a, %b transpose_lhs transpose_rhs : (tensor<2x4x3xf64>, tensor<5x4xf64>) -> tensor<2x3x5xf64>
  return %0 : tensor<2x3x5xf64>
}
func.func @matmul_batch_broadcast(%a: tensor<2x1x3x4xf64>, %b: tensor<3x4x2xf64>) -> tensor<2x3x3x2xf64> {
  %0 = ds.matmul %a, %b : (tensor<2x1x3x4xf64>, tensor<3x4x2xf64>) -> tensor<2x3x3x2xf64>
  return %0 : tensor<2x3x3x2xf64>
}
func.func @rms_norm(%x: tensor<2x3x8xf64>, %w: tensor<8xf64>) -> tensor<2x3x8xf64> {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<2x3x8xf64>, tensor<8xf64>) -> tensor<2x3x8xf64>
  return %0 : tensor<2x3x8xf64>
}
func.func @layer_norm(%x: tensor<3x8xf64>, %w: tensor<8xf64>, %b: tensor<8xf64>) -> tensor<3x8xf64> {
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<3x8xf64>, tensor<8xf64>, tensor<8xf64>) -> tensor<3x8xf64>
  return %0 : tensor<3x8xf64>
}
func.func @layer_norm_no_bias(%x: tensor<3x8xf64>, %w: tensor<8xf64>) -> tensor<3x8xf64> {
  %0 = ds.layer_norm %x, %w epsilon = 1.0e-05 : (tensor<3x8xf64>, tensor<8xf64>) -> tensor<3x8xf64>
  return %0 : tensor<3x8xf64>
}
func.func @rope_interleaved_yarn(%x: tensor<2x5x2x12xf64>) -> tensor<2x5x2x12xf64> {
  %pos = ds.constant dense<[0, 3, 7, 20, 63]> : tensor<5xi32>
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 4 dim = 8 yarn = <factor = 4.0, original_max_position = 16> : (tensor<2x5x2x12xf64>, tensor<5xi32>) -> tensor<2x5x2x12xf64>
  return %0 : tensor<2x5x2x12xf64>
}
func.func @rope_half(%x: tensor<1x4x3x8xf64>) -> tensor<1x4x3x8xf64> {
  %pos = ds.constant dense<[[5, 1, 2, 9]]> : tensor<1x4xi32>
  %0 = ds.rope %x, %pos style = half theta = 1.0e+02 offset = 0 dim = 8 : (tensor<1x4x3x8xf64>, tensor<1x4xi32>) -> tensor<1x4x3x8xf64>
  return %0 : tensor<1x4x3x8xf64>
}
func.func @attention_causal(%q: tensor<2x4x2x6xf64>, %k: tensor<2x4x2x6xf64>, %v: tensor<2x4x2x5xf64>) -> tensor<2x4x2x5xf64> {
  %0 = ds.attention %q, %k, %v causal : (tensor<2x4x2x6xf64>, tensor<2x4x2x6xf64>, tensor<2x4x2x5xf64>) -> tensor<2x4x2x5xf64>
  return %0 : tensor<2x4x2x5xf64>
}
// Grouped heads (4 query heads read 2 key/value heads), fewer queries than
// keys, a sliding window and an explicit scale.
func.func @attention_gqa_window(%q: tensor<1x3x4x4xf64>, %k: tensor<1x5x2x4xf64>, %v: tensor<1x5x2x3xf64>) -> tensor<1x3x4x3xf64> {
  %0 = ds.attention %q, %k, %v causal scale = 0.3 window = 3 : (tensor<1x3x4x4xf64>, tensor<1x5x2x4xf64>, tensor<1x5x2x3xf64>) -> tensor<1x3x4x3xf64>
  return %0 : tensor<1x3x4x3xf64>
}
func.func @attention_full(%q: tensor<1x3x2x4xf64>, %k: tensor<1x5x1x4xf64>, %v: tensor<1x5x1x4xf64>) -> tensor<1x3x2x4xf64> {
  %0 = ds.attention %q, %k, %v : (tensor<1x3x2x4xf64>, tensor<1x5x1x4xf64>, tensor<1x5x1x4xf64>) -> tensor<1x3x2x4xf64>
  return %0 : tensor<1x3x2x4xf64>
}
// A KV cache of 6 slots of which 4 hold data (key_length, a constant here so
// that only the floats are perturbed): two causal queries, multi-query.
func.func @attention_key_length(%q: tensor<1x2x2x4xf64>, %k: tensor<1x6x1x4xf64>, %v: tensor<1x6x1x3xf64>) -> tensor<1x2x2x3xf64> {
  %len = ds.constant dense<4> : tensor<i32>
  %0 = ds.attention %q, %k, %v key_length %len causal : (tensor<1x2x2x4xf64>, tensor<1x6x1x4xf64>, tensor<1x6x1x3xf64>, tensor<i32>) -> tensor<1x2x2x3xf64>
  return %0 : tensor<1x2x2x3xf64>
}
// DeepSeek-V3 routing: sigmoid scores, a selection bias, group-limited top-k
// (4 groups, keep 2, by the sum of each group's two best), normalised weights.
// The bias only selects: its gradient is zero, as finite differences agree.
func.func @moe_route_sigmoid(%logits: tensor<6x8xf64>, %bias: tensor<8xf64>) -> tensor<6x3xf64> {
  %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 3 n_group = 4 topk_group = 2 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.5 : (tensor<6x8xf64>, tensor<8xf64>) -> (tensor<6x3xf64>, tensor<6x3xi32>)
  return %w : tensor<6x3xf64>
}
func.func @moe_route_softmax(%logits: tensor<5x6xf64>) -> tensor<5x2xf64> {
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<5x6xf64>) -> (tensor<5x2xf64>, tensor<5x2xi32>)
  return %w : tensor<5x2xf64>
}
func.func @moe_ffn(%x: tensor<5x4xf64>, %w: tensor<5x2xf64>, %gate: tensor<3x6x4xf64>, %up: tensor<3x6x4xf64>, %down: tensor<3x4x6xf64>) -> tensor<5x4xf64> {
  %idx = ds.constant dense<[[0, 2], [1, 0], [2, 2], [1, 2], [0, 1]]> : tensor<5x2xi32>
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<5x4xf64>, tensor<5x2xf64>, tensor<5x2xi32>, tensor<3x6x4xf64>, tensor<3x6x4xf64>, tensor<3x4x6xf64>) -> tensor<5x4xf64>
  return %0 : tensor<5x4xf64>
}
// Routing and experts together, as a MoE layer uses them.
func.func @moe_layer(%x: tensor<6x4xf64>, %router: tensor<8x4xf64>, %gate: tensor<8x3x4xf64>, %up: tensor<8x3x4xf64>, %down: tensor<8x4x3xf64>) -> tensor<6x4xf64> {
  %logits = ds.matmul %x, %router transpose_rhs : (tensor<6x4xf64>, tensor<8x4xf64>) -> tensor<6x8xf64>
  %w, %idx = ds.moe_route %logits scoring = sigmoid top_k = 2 n_group = 2 topk_group = 1 group_score = top2_sum norm_topk_prob routed_scaling_factor = 1.5 : (tensor<6x8xf64>) -> (tensor<6x2xf64>, tensor<6x2xi32>)
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<6x4xf64>, tensor<6x2xf64>, tensor<6x2xi32>, tensor<8x3x4xf64>, tensor<8x3x4xf64>, tensor<8x4x3xf64>) -> tensor<6x4xf64>
  return %0 : tensor<6x4xf64>
}
func.func @cross_entropy(%logits: tensor<2x3x5xf64>) -> tensor<f64> {
  %targets = ds.constant dense<[[1, -100, 4], [0, 2, 2]]> : tensor<2x3xi32>
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x3x5xf64>, tensor<2x3xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}
func.func @cross_entropy_all_ignored(%logits: tensor<2x5xf64>) -> tensor<f64> {
  %targets = ds.constant dense<[7, 7]> : tensor<2xi32>
  %0 = ds.cross_entropy %logits, %targets ignore_index = 7 : (tensor<2x5xf64>, tensor<2xi32>) -> tensor<f64>
  %1 = ds.exp %0 : tensor<f64>
  %2 = ds.reduce_sum %logits axes = [0, 1] : tensor<2x5xf64> -> tensor<f64>
  %3 = ds.mul %1, %2 : tensor<f64>
  return %3 : tensor<f64>
}
