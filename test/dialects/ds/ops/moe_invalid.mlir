// Each verifier rule of ds.moe_route and ds.moe_ffn and of their gradients
// ds.moe_route_grad and ds.moe_ffn_grad. The result types are inferred, so a
// broken rule is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @route_logits_rank_3(%logits: tensor<2x8x16xf32>) -> (tensor<2x2xf32>, tensor<2x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op operand #0 (logits) must have rank 2 [N, E], got [2, 8, 16]}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<2x8x16xf32>) -> (tensor<2x2xf32>, tensor<2x2xi32>)
  return %w, %idx : tensor<2x2xf32>, tensor<2x2xi32>
}

// -----

func.func @route_bias_rank_2(%logits: tensor<8x16xf32>, %bias: tensor<1x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op operand #1 (bias) must have rank 1 [E], got [1, 16]}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>, tensor<1x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_bias_size(%logits: tensor<8x16xf32>, %bias: tensor<15xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op the expert count differs: dimension 1 of operand #0 is 16 but dimension 0 of operand #1 is 15}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>, tensor<15xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_integer_logits(%logits: tensor<8x16xi32>) -> (tensor<8x2xi32>, tensor<8x2xi32>) {
  // expected-error@+1 {{'ds.moe_route' op operand #0 must be ranked tensor of}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xi32>) -> (tensor<8x2xi32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xi32>, tensor<8x2xi32>
}

// -----

func.func @route_top_k_zero(%logits: tensor<8x16xf32>) -> (tensor<8x0xf32>, tensor<8x0xi32>) {
  // expected-error@+2 {{'ds.moe_route' op top_k must be >= 1, got 0}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 0 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x0xf32>, tensor<8x0xi32>)
  return %w, %idx : tensor<8x0xf32>, tensor<8x0xi32>
}

// -----

// top_k < 1 is reported even when the expert count is dynamic.
func.func @route_top_k_negative_dynamic(%logits: tensor<8x?xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op top_k must be >= 1, got -2}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = -2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x?xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_top_k_exceeds_experts(%logits: tensor<8x16xf32>) -> (tensor<8x17xf32>, tensor<8x17xi32>) {
  // expected-error@+2 {{'ds.moe_route' op top_k = 17 exceeds the 16 experts left after group limiting (topk_group = 1 groups of 16)}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 17 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x17xf32>, tensor<8x17xi32>)
  return %w, %idx : tensor<8x17xf32>, tensor<8x17xi32>
}

// -----

// 16 experts in 4 groups of 4; the best 2 groups leave 8 experts.
func.func @route_top_k_exceeds_group_limit(%logits: tensor<8x16xf32>) -> (tensor<8x9xf32>, tensor<8x9xi32>) {
  // expected-error@+2 {{'ds.moe_route' op top_k = 9 exceeds the 8 experts left after group limiting (topk_group = 2 groups of 4)}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = sigmoid top_k = 9 n_group = 4 topk_group = 2 group_score = top2_sum routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x9xf32>, tensor<8x9xi32>)
  return %w, %idx : tensor<8x9xf32>, tensor<8x9xi32>
}

// -----

func.func @route_n_group_zero(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op n_group must be >= 1, got 0}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 0 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_n_group_not_dividing(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op n_group = 3 does not divide the 16 experts}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 3 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_topk_group_exceeds_n_group(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op topk_group must be in [1, n_group = 4], got 5}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 4 topk_group = 5 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_topk_group_zero(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op topk_group must be in [1, n_group = 4], got 0}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 4 topk_group = 0 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

// 8 experts in 8 groups: one expert per group has no two largest scores.
func.func @route_top2_sum_single_expert_groups(%logits: tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<4x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op group_score = top2_sum needs at least 2 experts per group, got 1}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = sigmoid top_k = 2 n_group = 8 topk_group = 4 group_score = top2_sum routed_scaling_factor = 1.0 : (tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<4x2xi32>)
  return %w, %idx : tensor<4x2xf32>, tensor<4x2xi32>
}

// -----

func.func @route_scaling_zero(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op routed_scaling_factor must be finite and > 0, got 0.000000e+00}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 0.0 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_scaling_nan(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+2 {{'ds.moe_route' op routed_scaling_factor must be finite and > 0, got nan}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 0x7FF8000000000000 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

func.func @route_unknown_scoring(%logits: tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  // expected-error@+1 {{custom op 'ds.moe_route' expected string or keyword containing one of the following enum values for attribute 'scoring' [softmax, sigmoid]}}
  %w, %idx = ds.moe_route %logits scoring = tanh top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

// The indices are i32 and the weights have the logits' type.
func.func @route_result_types(%logits: tensor<8x16xbf16>) -> (tensor<8x2xf32>, tensor<8x2xi64>) {
  // expected-error@+2 {{'ds.moe_route' op inferred type(s) 'tensor<8x2xbf16>', 'tensor<8x2xi32>' are incompatible with return type(s) of operation 'tensor<8x2xf32>', 'tensor<8x2xi64>'}}
  // expected-error@+1 {{'ds.moe_route' op failed to infer returned types}}
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xbf16>) -> (tensor<8x2xf32>, tensor<8x2xi64>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi64>
}

// -----

func.func @ffn_input_rank_3(%x: tensor<2x32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<2x32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #0 (input) must have rank 2 [N, D], got [2, 32, 64]}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<2x32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<2x32x64xf32>
  return %0 : tensor<2x32x64xf32>
}

// -----

func.func @ffn_weights_rank_1(%x: tensor<32x64xf32>, %w: tensor<32xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #1 (weights) must have rank 2 [N, K], got [32]}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_indices_rank_1(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<128xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #2 (indices) must have rank 2 [N, K], got [128]}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<128xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_gate_rank_2(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #3 (gate) must have rank 3 [E, I, D], got [32, 64]}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_up_rank_4(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<1x16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #4 (up) must have rank 3 [E, I, D], got [1, 16, 32, 64]}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<1x16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_down_rank_2(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #5 (down) must have rank 3 [E, D, I], got [64, 32]}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_gate_dtype(%x: tensor<32x64xbf16>, %w: tensor<32x4xbf16>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xbf16>, %down: tensor<16x64x32xbf16>) -> tensor<32x64xbf16> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #3 has element type 'f32' but operand #0 has 'bf16' (they must be equal)}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xbf16>, tensor<32x4xbf16>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xbf16>, tensor<16x64x32xbf16>) -> tensor<32x64xbf16>
  return %0 : tensor<32x64xbf16>
}

// -----

func.func @ffn_up_dtype(%x: tensor<32x64xbf16>, %w: tensor<32x4xbf16>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xbf16>, %up: tensor<16x32x64xf16>, %down: tensor<16x64x32xbf16>) -> tensor<32x64xbf16> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #4 has element type 'f16' but operand #0 has 'bf16' (they must be equal)}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xbf16>, tensor<32x4xbf16>, tensor<32x4xi32>, tensor<16x32x64xbf16>, tensor<16x32x64xf16>, tensor<16x64x32xbf16>) -> tensor<32x64xbf16>
  return %0 : tensor<32x64xbf16>
}

// -----

func.func @ffn_down_dtype(%x: tensor<32x64xbf16>, %w: tensor<32x4xbf16>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xbf16>, %up: tensor<16x32x64xbf16>, %down: tensor<16x64x32xf8E4M3FN>) -> tensor<32x64xbf16> {
  // expected-error@+2 {{'ds.moe_ffn' op operand #5 has element type 'f8E4M3FN' but operand #0 has 'bf16' (they must be equal)}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xbf16>, tensor<32x4xbf16>, tensor<32x4xi32>, tensor<16x32x64xbf16>, tensor<16x32x64xbf16>, tensor<16x64x32xf8E4M3FN>) -> tensor<32x64xbf16>
  return %0 : tensor<32x64xbf16>
}

// -----

func.func @ffn_weights_tokens(%x: tensor<32x64xf32>, %w: tensor<16x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the token count differs: dimension 0 of operand #0 is 32 but dimension 0 of operand #1 is 16}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<16x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_indices_tokens(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<31x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the token count differs: dimension 0 of operand #0 is 32 but dimension 0 of operand #2 is 31}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<31x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_experts_per_token(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x2xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the experts per token differs: dimension 1 of operand #1 is 4 but dimension 1 of operand #2 is 2}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x2xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_up_experts(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<8x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the expert count differs: dimension 0 of operand #3 is 16 but dimension 0 of operand #4 is 8}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<8x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_down_experts(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<8x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the expert count differs: dimension 0 of operand #3 is 16 but dimension 0 of operand #5 is 8}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<8x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_up_intermediate(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x48x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the intermediate size differs: dimension 1 of operand #3 is 32 but dimension 1 of operand #4 is 48}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x48x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// down is [E, D, I] ([out, in]), not [E, I, D].
func.func @ffn_down_not_transposed(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x32x64xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the intermediate size differs: dimension 1 of operand #3 is 32 but dimension 2 of operand #5 is 64}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_gate_model_dim(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x128xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the model dimension differs: dimension 1 of operand #0 is 64 but dimension 2 of operand #3 is 128}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x128xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_up_model_dim(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x128xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the model dimension differs: dimension 1 of operand #0 is 64 but dimension 2 of operand #4 is 128}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x128xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_down_model_dim(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x128x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op the model dimension differs: dimension 1 of operand #0 is 64 but dimension 1 of operand #5 is 128}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x128x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_float_indices(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xf32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  // expected-error@+1 {{'ds.moe_ffn' op operand #2 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<32x4xf32>'}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @ffn_result_type(%x: tensor<32x64xbf16>, %w: tensor<32x4xbf16>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xbf16>, %up: tensor<16x32x64xbf16>, %down: tensor<16x64x32xbf16>) -> tensor<32x64xf32> {
  // expected-error@+2 {{'ds.moe_ffn' op inferred type(s) 'tensor<32x64xbf16>' are incompatible with return type(s) of operation 'tensor<32x64xf32>'}}
  // expected-error@+1 {{'ds.moe_ffn' op failed to infer returned types}}
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xbf16>, tensor<32x4xbf16>, tensor<32x4xi32>, tensor<16x32x64xbf16>, tensor<16x32x64xbf16>, tensor<16x64x32xbf16>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

func.func @route_grad_logits_rank_3(%logits: tensor<2x32x16xf32>, %idx: tensor<32x4xi32>, %dw: tensor<32x4xf32>) -> tensor<2x32x16xf32> {
  // expected-error@+2 {{'ds.moe_route_grad' op operand #0 (logits) must have rank 2 [N, E], got [2, 32, 16]}}
  // expected-error@+1 {{'ds.moe_route_grad' op failed to infer returned types}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<2x32x16xf32>, tensor<32x4xi32>, tensor<32x4xf32>) -> tensor<2x32x16xf32>
  return %0 : tensor<2x32x16xf32>
}

// -----

func.func @route_grad_tokens_differ(%logits: tensor<32x16xf32>, %idx: tensor<16x4xi32>, %dw: tensor<32x4xf32>) -> tensor<32x16xf32> {
  // expected-error@+2 {{'ds.moe_route_grad' op the token count differs: dimension 0 of operand #0 is 32 but dimension 0 of operand #1 is 16}}
  // expected-error@+1 {{'ds.moe_route_grad' op failed to infer returned types}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x16xf32>, tensor<16x4xi32>, tensor<32x4xf32>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}

// -----

// One cotangent per chosen expert.
func.func @route_grad_top_k_differs(%logits: tensor<32x16xf32>, %idx: tensor<32x4xi32>, %dw: tensor<32x2xf32>) -> tensor<32x16xf32> {
  // expected-error@+2 {{'ds.moe_route_grad' op the experts per token differs: dimension 1 of operand #1 is 4 but dimension 1 of operand #2 is 2}}
  // expected-error@+1 {{'ds.moe_route_grad' op failed to infer returned types}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x16xf32>, tensor<32x4xi32>, tensor<32x2xf32>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}

// -----

func.func @route_grad_element_type(%logits: tensor<32x16xf32>, %idx: tensor<32x4xi32>, %dw: tensor<32x4xbf16>) -> tensor<32x16xf32> {
  // expected-error@+2 {{'ds.moe_route_grad' op operand #2 has element type 'bf16' but operand #0 has 'f32' (they must be equal)}}
  // expected-error@+1 {{'ds.moe_route_grad' op failed to infer returned types}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x16xf32>, tensor<32x4xi32>, tensor<32x4xbf16>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}

// -----

// The gradient has the logits' type, not the weights'.
func.func @route_grad_result_type(%logits: tensor<32x16xf32>, %idx: tensor<32x4xi32>, %dw: tensor<32x4xf32>) -> tensor<32x4xf32> {
  // expected-error@+2 {{'ds.moe_route_grad' op inferred type(s) 'tensor<32x16xf32>' are incompatible with return type(s) of operation 'tensor<32x4xf32>'}}
  // expected-error@+1 {{'ds.moe_route_grad' op failed to infer returned types}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x16xf32>, tensor<32x4xi32>, tensor<32x4xf32>) -> tensor<32x4xf32>
  return %0 : tensor<32x4xf32>
}

// -----

func.func @route_grad_float_indices(%logits: tensor<32x16xf32>, %idx: tensor<32x4xf32>, %dw: tensor<32x4xf32>) -> tensor<32x16xf32> {
  // expected-error@+1 {{'ds.moe_route_grad' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<32x4xf32>'}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x16xf32>, tensor<32x4xf32>, tensor<32x4xf32>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}

// -----

func.func @route_grad_unknown_scoring(%logits: tensor<32x16xf32>, %idx: tensor<32x4xi32>, %dw: tensor<32x4xf32>) -> tensor<32x16xf32> {
  // expected-error@+1 {{custom op 'ds.moe_route_grad' expected string or keyword containing one of the following enum values for attribute 'scoring' [softmax, sigmoid]}}
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = relu routed_scaling_factor = 1.0 : (tensor<32x16xf32>, tensor<32x4xi32>, tensor<32x4xf32>) -> tensor<32x16xf32>
  return %0 : tensor<32x16xf32>
}

// -----

// ds.moe_ffn_grad checks its first six operands as ds.moe_ffn does.
func.func @ffn_grad_gate_rank_2(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>, %dy: tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) {
  // expected-error@+2 {{'ds.moe_ffn_grad' op operand #3 (gate) must have rank 3 [E, I, D], got [32, 64]}}
  // expected-error@+1 {{'ds.moe_ffn_grad' op failed to infer returned types}}
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  return %dx, %dw, %dg, %du, %dd : tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>
}

// -----

// The cotangent has the input's (and the result's) shape.
func.func @ffn_grad_cotangent_shape(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>, %dy: tensor<32x32xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) {
  // expected-error@+2 {{'ds.moe_ffn_grad' op operand #6 (grad) has type 'tensor<32x32xf32>' but the input has type 'tensor<32x64xf32>'}}
  // expected-error@+1 {{'ds.moe_ffn_grad' op failed to infer returned types}}
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x32xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  return %dx, %dw, %dg, %du, %dd : tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>
}

// -----

func.func @ffn_grad_cotangent_element_type(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>, %dy: tensor<32x64xbf16>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) {
  // expected-error@+2 {{'ds.moe_ffn_grad' op operand #6 (grad) has type 'tensor<32x64xbf16>' but the input has type 'tensor<32x64xf32>'}}
  // expected-error@+1 {{'ds.moe_ffn_grad' op failed to infer returned types}}
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x64xbf16>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  return %dx, %dw, %dg, %du, %dd : tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>
}

// -----

// The results are the gradients of input, weights, gate, up and down, in
// that order (here down's and up's are swapped).
func.func @ffn_grad_result_types(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>, %dy: tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<16x32x64xf32>) {
  // expected-error@+2 {{'ds.moe_ffn_grad' op inferred type(s) 'tensor<32x64xf32>', 'tensor<32x4xf32>', 'tensor<16x32x64xf32>', 'tensor<16x32x64xf32>', 'tensor<16x64x32xf32>' are incompatible with return type(s) of operation 'tensor<32x64xf32>', 'tensor<32x4xf32>', 'tensor<16x32x64xf32>', 'tensor<16x64x32xf32>', 'tensor<16x32x64xf32>'}}
  // expected-error@+1 {{'ds.moe_ffn_grad' op failed to infer returned types}}
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<16x32x64xf32>)
  return %dx, %dw, %dg, %du, %dd : tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<16x32x64xf32>
}
