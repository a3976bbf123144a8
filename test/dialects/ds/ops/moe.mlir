// Round trip of ds.moe_route and ds.moe_ffn and of their gradients
// ds.moe_route_grad and ds.moe_ffn_grad: parse, print, parse again, in both
// the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// Plain softmax top-k routing: no bias, no group limit, no renormalization.
// CHECK-LABEL: func @route_softmax
// CHECK: ds.moe_route %{{[a-z0-9_]+}} scoring = softmax top_k = 6 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.000000e+00 : (tensor<32x64xf32>) -> (tensor<32x6xf32>, tensor<32x6xi32>)
func.func @route_softmax(%logits: tensor<32x64xf32>) -> (tensor<32x6xf32>, tensor<32x6xi32>) {
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 6 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<32x64xf32>) -> (tensor<32x6xf32>, tensor<32x6xi32>)
  return %w, %idx : tensor<32x6xf32>, tensor<32x6xi32>
}

// -----

// DeepSeek-V2: softmax scores, the best 3 of 8 groups by their maximum.
// CHECK-LABEL: func @route_v2_group_max
// CHECK: ds.moe_route %{{[a-z0-9_]+}} scoring = softmax top_k = 6 n_group = 8 topk_group = 3 group_score = max routed_scaling_factor = 1.600000e+01 : (tensor<32x160xbf16>) -> (tensor<32x6xbf16>, tensor<32x6xi32>)
func.func @route_v2_group_max(%logits: tensor<32x160xbf16>) -> (tensor<32x6xbf16>, tensor<32x6xi32>) {
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 6 n_group = 8 topk_group = 3 group_score = max routed_scaling_factor = 16.0 : (tensor<32x160xbf16>) -> (tensor<32x6xbf16>, tensor<32x6xi32>)
  return %w, %idx : tensor<32x6xbf16>, tensor<32x6xi32>
}

// -----

// DeepSeek-V3: sigmoid scores, a selection bias, the best 4 of 8 groups by the
// sum of their two largest scores, renormalized weights.
// CHECK-LABEL: func @route_v3_sigmoid_bias_top2
// CHECK: ds.moe_route %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scoring = sigmoid top_k = 8 n_group = 8 topk_group = 4 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.500000e+00 : (tensor<32x256xf32>, tensor<256xf32>) -> (tensor<32x8xf32>, tensor<32x8xi32>)
func.func @route_v3_sigmoid_bias_top2(%logits: tensor<32x256xf32>, %bias: tensor<256xf32>) -> (tensor<32x8xf32>, tensor<32x8xi32>) {
  %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 8 n_group = 8 topk_group = 4 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x256xf32>, tensor<256xf32>) -> (tensor<32x8xf32>, tensor<32x8xi32>)
  return %w, %idx : tensor<32x8xf32>, tensor<32x8xi32>
}

// -----

// A bias without renormalization; sigmoid with the max group score.
// CHECK-LABEL: func @route_bias_no_norm
// CHECK: ds.moe_route %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scoring = sigmoid top_k = 2 n_group = 4 topk_group = 2 group_score = max routed_scaling_factor = 1.000000e+00 : (tensor<8x16xf32>, tensor<16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
func.func @route_bias_no_norm(%logits: tensor<8x16xf32>, %bias: tensor<16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>) {
  %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 2 n_group = 4 topk_group = 2 group_score = max routed_scaling_factor = 1.0 : (tensor<8x16xf32>, tensor<16xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf32>, tensor<8x2xi32>
}

// -----

// Softmax with renormalization and no bias.
// CHECK-LABEL: func @route_softmax_norm
// CHECK: ds.moe_route %{{[a-z0-9_]+}} scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max norm_topk_prob routed_scaling_factor = 1.000000e+00 : (tensor<8x16xf16>) -> (tensor<8x2xf16>, tensor<8x2xi32>)
func.func @route_softmax_norm(%logits: tensor<8x16xf16>) -> (tensor<8x2xf16>, tensor<8x2xi32>) {
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max norm_topk_prob routed_scaling_factor = 1.0 : (tensor<8x16xf16>) -> (tensor<8x2xf16>, tensor<8x2xi32>)
  return %w, %idx : tensor<8x2xf16>, tensor<8x2xi32>
}

// -----

// top_k may use every expert left after the group limit: 2 groups of 4.
// CHECK-LABEL: func @route_top_k_all_left
// CHECK: ds.moe_route %{{[a-z0-9_]+}} scoring = sigmoid top_k = 8 n_group = 4 topk_group = 2 group_score = top2_sum routed_scaling_factor = 1.000000e+00 : (tensor<8x16xf32>) -> (tensor<8x8xf32>, tensor<8x8xi32>)
func.func @route_top_k_all_left(%logits: tensor<8x16xf32>) -> (tensor<8x8xf32>, tensor<8x8xi32>) {
  %w, %idx = ds.moe_route %logits scoring = sigmoid top_k = 8 n_group = 4 topk_group = 2 group_score = top2_sum routed_scaling_factor = 1.0 : (tensor<8x16xf32>) -> (tensor<8x8xf32>, tensor<8x8xi32>)
  return %w, %idx : tensor<8x8xf32>, tensor<8x8xi32>
}

// -----

// Dynamic token count.
// CHECK-LABEL: func @route_dynamic_tokens
// CHECK: ds.moe_route %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scoring = sigmoid top_k = 8 n_group = 8 topk_group = 4 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.500000e+00 : (tensor<?x256xf32>, tensor<256xf32>) -> (tensor<?x8xf32>, tensor<?x8xi32>)
func.func @route_dynamic_tokens(%logits: tensor<?x256xf32>, %bias: tensor<256xf32>) -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 8 n_group = 8 topk_group = 4 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.5 : (tensor<?x256xf32>, tensor<256xf32>) -> (tensor<?x8xf32>, tensor<?x8xi32>)
  return %w, %idx : tensor<?x8xf32>, tensor<?x8xi32>
}

// -----

// Dynamic expert count: the group rules that need it are run-time facts.
// CHECK-LABEL: func @route_dynamic_experts
// CHECK: ds.moe_route %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scoring = softmax top_k = 4 n_group = 2 topk_group = 1 group_score = top2_sum routed_scaling_factor = 1.000000e+00 : (tensor<8x?xf32>, tensor<?xf32>) -> (tensor<8x4xf32>, tensor<8x4xi32>)
func.func @route_dynamic_experts(%logits: tensor<8x?xf32>, %bias: tensor<?xf32>) -> (tensor<8x4xf32>, tensor<8x4xi32>) {
  %w, %idx = ds.moe_route %logits, %bias scoring = softmax top_k = 4 n_group = 2 topk_group = 1 group_score = top2_sum routed_scaling_factor = 1.0 : (tensor<8x?xf32>, tensor<?xf32>) -> (tensor<8x4xf32>, tensor<8x4xi32>)
  return %w, %idx : tensor<8x4xf32>, tensor<8x4xi32>
}

// -----

// CHECK-LABEL: func @ffn
// CHECK: ds.moe_ffn %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
func.func @ffn(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// bf16 experts, i64 indices, one expert per token.
// CHECK-LABEL: func @ffn_bf16_i64
// CHECK: ds.moe_ffn %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<8x16xbf16>, tensor<8x1xbf16>, tensor<8x1xi64>, tensor<4x24x16xbf16>, tensor<4x24x16xbf16>, tensor<4x16x24xbf16>) -> tensor<8x16xbf16>
func.func @ffn_bf16_i64(%x: tensor<8x16xbf16>, %w: tensor<8x1xbf16>, %idx: tensor<8x1xi64>, %gate: tensor<4x24x16xbf16>, %up: tensor<4x24x16xbf16>, %down: tensor<4x16x24xbf16>) -> tensor<8x16xbf16> {
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<8x16xbf16>, tensor<8x1xbf16>, tensor<8x1xi64>, tensor<4x24x16xbf16>, tensor<4x24x16xbf16>, tensor<4x16x24xbf16>) -> tensor<8x16xbf16>
  return %0 : tensor<8x16xbf16>
}

// -----

// Dynamic token count and expert count.
// CHECK-LABEL: func @ffn_dynamic
// CHECK: ds.moe_ffn %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<?x64xf32>, tensor<?x8xf32>, tensor<?x8xi32>, tensor<?x32x64xf32>, tensor<?x32x64xf32>, tensor<?x64x32xf32>) -> tensor<?x64xf32>
func.func @ffn_dynamic(%x: tensor<?x64xf32>, %w: tensor<?x8xf32>, %idx: tensor<?x8xi32>, %gate: tensor<?x32x64xf32>, %up: tensor<?x32x64xf32>, %down: tensor<?x64x32xf32>) -> tensor<?x64xf32> {
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<?x64xf32>, tensor<?x8xf32>, tensor<?x8xi32>, tensor<?x32x64xf32>, tensor<?x32x64xf32>, tensor<?x64x32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// The router's output feeds the experts.
// CHECK-LABEL: func @route_then_ffn
// CHECK: %[[W:[^ ,]+]], %[[IDX:[^ ,]+]] = ds.moe_route
// CHECK: ds.moe_ffn %{{[a-z0-9_]+}}, %[[W]], %[[IDX]], %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} :
func.func @route_then_ffn(%x: tensor<32x64xf32>, %logits: tensor<32x16xf32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>) -> tensor<32x64xf32> {
  %w, %idx = ds.moe_route %logits scoring = softmax top_k = 4 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<32x16xf32>) -> (tensor<32x4xf32>, tensor<32x4xi32>)
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
  return %0 : tensor<32x64xf32>
}

// -----

// DeepSeek-V3's routing weights, differentiated with respect to the logits.
// CHECK-LABEL: func @route_grad_sigmoid_norm
// CHECK: ds.moe_route_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.500000e+00 : (tensor<32x256xf32>, tensor<32x8xi32>, tensor<32x8xf32>) -> tensor<32x256xf32>
func.func @route_grad_sigmoid_norm(%logits: tensor<32x256xf32>, %idx: tensor<32x8xi32>, %dw: tensor<32x8xf32>) -> tensor<32x256xf32> {
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x256xf32>, tensor<32x8xi32>, tensor<32x8xf32>) -> tensor<32x256xf32>
  return %0 : tensor<32x256xf32>
}

// -----

// Softmax without renormalization, bf16, i64 indices, dynamic token count.
// CHECK-LABEL: func @route_grad_softmax_dynamic
// CHECK: ds.moe_route_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} scoring = softmax routed_scaling_factor = 1.000000e+00 : (tensor<?x64xbf16>, tensor<?x6xi64>, tensor<?x6xbf16>) -> tensor<?x64xbf16>
func.func @route_grad_softmax_dynamic(%logits: tensor<?x64xbf16>, %idx: tensor<?x6xi64>, %dw: tensor<?x6xbf16>) -> tensor<?x64xbf16> {
  %0 = ds.moe_route_grad %logits, %idx, %dw scoring = softmax routed_scaling_factor = 1.0 : (tensor<?x64xbf16>, tensor<?x6xi64>, tensor<?x6xbf16>) -> tensor<?x64xbf16>
  return %0 : tensor<?x64xbf16>
}

// -----

// The gradients of the input, the weights and the three expert stacks.
// CHECK-LABEL: func @ffn_grad
// CHECK: ds.moe_ffn_grad %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
func.func @ffn_grad(%x: tensor<32x64xf32>, %w: tensor<32x4xf32>, %idx: tensor<32x4xi32>, %gate: tensor<16x32x64xf32>, %up: tensor<16x32x64xf32>, %down: tensor<16x64x32xf32>, %dy: tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) {
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
  return %dx, %dw, %dg, %du, %dd : tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>
}

// -----

// Dynamic token and expert counts, i64 indices.
// CHECK-LABEL: func @ffn_grad_dynamic
// CHECK: ds.moe_ffn_grad {{.*}} : (tensor<?x64xbf16>, tensor<?x8xbf16>, tensor<?x8xi64>, tensor<?x32x64xbf16>, tensor<?x32x64xbf16>, tensor<?x64x32xbf16>, tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x8xbf16>, tensor<?x32x64xbf16>, tensor<?x32x64xbf16>, tensor<?x64x32xbf16>)
func.func @ffn_grad_dynamic(%x: tensor<?x64xbf16>, %w: tensor<?x8xbf16>, %idx: tensor<?x8xi64>, %gate: tensor<?x32x64xbf16>, %up: tensor<?x32x64xbf16>, %down: tensor<?x64x32xbf16>, %dy: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x8xbf16>, tensor<?x32x64xbf16>, tensor<?x32x64xbf16>, tensor<?x64x32xbf16>) {
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<?x64xbf16>, tensor<?x8xbf16>, tensor<?x8xi64>, tensor<?x32x64xbf16>, tensor<?x32x64xbf16>, tensor<?x64x32xbf16>, tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x8xbf16>, tensor<?x32x64xbf16>, tensor<?x32x64xbf16>, tensor<?x64x32xbf16>)
  return %dx, %dw, %dg, %du, %dd : tensor<?x64xbf16>, tensor<?x8xbf16>, tensor<?x32x64xbf16>, tensor<?x32x64xbf16>, tensor<?x64x32xbf16>
}
