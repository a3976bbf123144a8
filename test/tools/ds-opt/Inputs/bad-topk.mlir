func.func @route(%logits: tensor<32x16xf32>) -> tensor<32x8xf32> {
  %w, %idx = ds.moe_route %logits scoring = sigmoid top_k = 8 n_group = 4 topk_group = 1 group_score = top2_sum routed_scaling_factor = 2.5 : (tensor<32x16xf32>) -> (tensor<32x8xf32>, tensor<32x8xi32>)
  return %w : tensor<32x8xf32>
}
