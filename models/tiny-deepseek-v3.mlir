// A tiny DeepSeek-V3-style model, written by hand in the ds dialect: multi-head
// latent attention (query and key/value compression, decoupled RoPE with YaRN),
// a dense first layer, then DeepSeekMoE layers (1 shared + 8 routed experts,
// sigmoid routing with a selection bias, top-2 of 4 groups keep 2).
// hidden 64, 4 heads, q_lora_rank 32, kv_lora_rank 32, qk_nope 16,
// qk_rope 8, v_head 16, vocab 512, batch 2 x 16 tokens.
//
// Each layer kind is one function, called once per layer: the IR does not
// grow with depth. Parameters are arguments marked with #ds.param.
// Try: ds-opt models/tiny-deepseek-v3.mlir --canonicalize --cse

module {
  // Multi-head latent attention: queries and keys/values pass through
  // low-rank latents; RoPE acts on separate channels (decoupled RoPE).
  func.func private @mla(%hidden: tensor<2x16x64xf32>, %positions: tensor<16xi32>, %q_a_proj: tensor<32x64xf32>, %q_a_norm: tensor<32xf32>, %q_b_proj: tensor<96x32xf32>, %kv_a_proj: tensor<40x64xf32>, %kv_a_norm: tensor<32xf32>, %kv_b_proj: tensor<128x32xf32>, %o_proj: tensor<64x64xf32>) -> tensor<2x16x64xf32> {
    %q_a = ds.matmul %hidden, %q_a_proj transpose_rhs : (tensor<2x16x64xf32>, tensor<32x64xf32>) -> tensor<2x16x32xf32>
    %q_a_n = ds.rms_norm %q_a, %q_a_norm epsilon = 1.0e-06 : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
    %q_flat = ds.matmul %q_a_n, %q_b_proj transpose_rhs : (tensor<2x16x32xf32>, tensor<96x32xf32>) -> tensor<2x16x96xf32>
    %q = ds.reshape %q_flat : tensor<2x16x96xf32> -> tensor<2x16x4x24xf32>
    %q_nope, %q_pe = ds.split %q axis = 3 sizes = [16, 8] : tensor<2x16x4x24xf32> -> tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32>
    %q_rot = ds.rope %q_pe, %positions style = interleaved theta = 10000.0 offset = 0 dim = 8 yarn = <factor = 40.0, original_max_position = 4096, beta_fast = 32.0, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 1.0> : (tensor<2x16x4x8xf32>, tensor<16xi32>) -> tensor<2x16x4x8xf32>
    %kv_a = ds.matmul %hidden, %kv_a_proj transpose_rhs : (tensor<2x16x64xf32>, tensor<40x64xf32>) -> tensor<2x16x40xf32>
    %c_kv, %k_pe_flat = ds.split %kv_a axis = 2 sizes = [32, 8] : tensor<2x16x40xf32> -> tensor<2x16x32xf32>, tensor<2x16x8xf32>
    %k_pe = ds.reshape %k_pe_flat : tensor<2x16x8xf32> -> tensor<2x16x1x8xf32>
    %k_rot = ds.rope %k_pe, %positions style = interleaved theta = 10000.0 offset = 0 dim = 8 yarn = <factor = 40.0, original_max_position = 4096, beta_fast = 32.0, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 1.0> : (tensor<2x16x1x8xf32>, tensor<16xi32>) -> tensor<2x16x1x8xf32>
    %c_kv_n = ds.rms_norm %c_kv, %kv_a_norm epsilon = 1.0e-06 : (tensor<2x16x32xf32>, tensor<32xf32>) -> tensor<2x16x32xf32>
    %kv_flat = ds.matmul %c_kv_n, %kv_b_proj transpose_rhs : (tensor<2x16x32xf32>, tensor<128x32xf32>) -> tensor<2x16x128xf32>
    %kv = ds.reshape %kv_flat : tensor<2x16x128xf32> -> tensor<2x16x4x32xf32>
    %k_nope, %v = ds.split %kv axis = 3 sizes = [16, 16] : tensor<2x16x4x32xf32> -> tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>
    %k_rot_h = ds.broadcast %k_rot : tensor<2x16x1x8xf32> -> tensor<2x16x4x8xf32>
    %query = ds.concat %q_nope, %q_rot axis = 3 : (tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32>) -> tensor<2x16x4x24xf32>
    %key = ds.concat %k_nope, %k_rot_h axis = 3 : (tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32>) -> tensor<2x16x4x24xf32>
    // softmax scale: 1/sqrt(qk_head_dim) times the YaRN mscale squared.
    %attn = ds.attention %query, %key, %v causal scale = 3.824989e-01 : (tensor<2x16x4x24xf32>, tensor<2x16x4x24xf32>, tensor<2x16x4x16xf32>) -> tensor<2x16x4x16xf32>
    %attn_flat = ds.reshape %attn : tensor<2x16x4x16xf32> -> tensor<2x16x64xf32>
    %out = ds.matmul %attn_flat, %o_proj transpose_rhs : (tensor<2x16x64xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
    return %out : tensor<2x16x64xf32>
  }

  // SwiGLU feed-forward: down(silu(gate(x)) * up(x)).
  func.func private @dense_mlp(%x: tensor<2x16x64xf32>, %gate_proj: tensor<128x64xf32>, %up_proj: tensor<128x64xf32>, %down_proj: tensor<64x128xf32>) -> tensor<2x16x64xf32> {
    %g = ds.matmul %x, %gate_proj transpose_rhs : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x128xf32>
    %u = ds.matmul %x, %up_proj transpose_rhs : (tensor<2x16x64xf32>, tensor<128x64xf32>) -> tensor<2x16x128xf32>
    %act = ds.silu %g : tensor<2x16x128xf32>
    %gu = ds.mul %act, %u : tensor<2x16x128xf32>
    %y = ds.matmul %gu, %down_proj transpose_rhs : (tensor<2x16x128xf32>, tensor<64x128xf32>) -> tensor<2x16x64xf32>
    return %y : tensor<2x16x64xf32>
  }

  // SwiGLU feed-forward: down(silu(gate(x)) * up(x)).
  func.func private @shared_experts(%x: tensor<32x64xf32>, %gate_proj: tensor<32x64xf32>, %up_proj: tensor<32x64xf32>, %down_proj: tensor<64x32xf32>) -> tensor<32x64xf32> {
    %g = ds.matmul %x, %gate_proj transpose_rhs : (tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<32x32xf32>
    %u = ds.matmul %x, %up_proj transpose_rhs : (tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<32x32xf32>
    %act = ds.silu %g : tensor<32x32xf32>
    %gu = ds.mul %act, %u : tensor<32x32xf32>
    %y = ds.matmul %gu, %down_proj transpose_rhs : (tensor<32x32xf32>, tensor<64x32xf32>) -> tensor<32x64xf32>
    return %y : tensor<32x64xf32>
  }

  // DeepSeekMoE: routed experts chosen per token by sigmoid scores plus a
  // selection-only bias (group-limited top-k), and always-on shared experts.
  func.func private @moe(%hidden: tensor<2x16x64xf32>, %router: tensor<8x64xf32>, %bias: tensor<8xf32>, %experts_gate: tensor<8x32x64xf32>, %experts_up: tensor<8x32x64xf32>, %experts_down: tensor<8x64x32xf32>, %shared_gate: tensor<32x64xf32>, %shared_up: tensor<32x64xf32>, %shared_down: tensor<64x32xf32>) -> tensor<2x16x64xf32> {
    %x = ds.reshape %hidden : tensor<2x16x64xf32> -> tensor<32x64xf32>
    %logits = ds.matmul %x, %router transpose_rhs : (tensor<32x64xf32>, tensor<8x64xf32>) -> tensor<32x8xf32>
    %weights, %experts = ds.moe_route %logits, %bias scoring = sigmoid top_k = 2 n_group = 4 topk_group = 2 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x8xf32>, tensor<8xf32>) -> (tensor<32x2xf32>, tensor<32x2xi32>)
    %routed = ds.moe_ffn %x, %weights, %experts, %experts_gate, %experts_up, %experts_down : (tensor<32x64xf32>, tensor<32x2xf32>, tensor<32x2xi32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>) -> tensor<32x64xf32>
    %shared = func.call @shared_experts(%x, %shared_gate, %shared_up, %shared_down) : (tensor<32x64xf32>, tensor<32x64xf32>, tensor<32x64xf32>, tensor<64x32xf32>) -> tensor<32x64xf32>
    %sum = ds.add %routed, %shared : tensor<32x64xf32>
    %y = ds.reshape %sum : tensor<32x64xf32> -> tensor<2x16x64xf32>
    return %y : tensor<2x16x64xf32>
  }

  // One decoder layer: pre-norm attention and pre-norm feed-forward, each
  // added to the residual stream.
  func.func private @dense_layer(%hidden: tensor<2x16x64xf32>, %positions: tensor<16xi32>, %input_norm: tensor<64xf32>, %q_a_proj: tensor<32x64xf32>, %q_a_norm: tensor<32xf32>, %q_b_proj: tensor<96x32xf32>, %kv_a_proj: tensor<40x64xf32>, %kv_a_norm: tensor<32xf32>, %kv_b_proj: tensor<128x32xf32>, %o_proj: tensor<64x64xf32>, %post_attn_norm: tensor<64xf32>, %gate_proj: tensor<128x64xf32>, %up_proj: tensor<128x64xf32>, %down_proj: tensor<64x128xf32>) -> tensor<2x16x64xf32> {
    %h_n = ds.rms_norm %hidden, %input_norm epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    %attn = func.call @mla(%h_n, %positions, %q_a_proj, %q_a_norm, %q_b_proj, %kv_a_proj, %kv_a_norm, %kv_b_proj, %o_proj) : (tensor<2x16x64xf32>, tensor<16xi32>, tensor<32x64xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
    %h1 = ds.add %hidden, %attn : tensor<2x16x64xf32>
    %h1_n = ds.rms_norm %h1, %post_attn_norm epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    %ffn = func.call @dense_mlp(%h1_n, %gate_proj, %up_proj, %down_proj) : (tensor<2x16x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<2x16x64xf32>
    %h2 = ds.add %h1, %ffn : tensor<2x16x64xf32>
    return %h2 : tensor<2x16x64xf32>
  }

  // One decoder layer: pre-norm attention and pre-norm feed-forward, each
  // added to the residual stream.
  func.func private @moe_layer(%hidden: tensor<2x16x64xf32>, %positions: tensor<16xi32>, %input_norm: tensor<64xf32>, %q_a_proj: tensor<32x64xf32>, %q_a_norm: tensor<32xf32>, %q_b_proj: tensor<96x32xf32>, %kv_a_proj: tensor<40x64xf32>, %kv_a_norm: tensor<32xf32>, %kv_b_proj: tensor<128x32xf32>, %o_proj: tensor<64x64xf32>, %post_attn_norm: tensor<64xf32>, %router: tensor<8x64xf32>, %bias: tensor<8xf32>, %experts_gate: tensor<8x32x64xf32>, %experts_up: tensor<8x32x64xf32>, %experts_down: tensor<8x64x32xf32>, %shared_gate: tensor<32x64xf32>, %shared_up: tensor<32x64xf32>, %shared_down: tensor<64x32xf32>) -> tensor<2x16x64xf32> {
    %h_n = ds.rms_norm %hidden, %input_norm epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    %attn = func.call @mla(%h_n, %positions, %q_a_proj, %q_a_norm, %q_b_proj, %kv_a_proj, %kv_a_norm, %kv_b_proj, %o_proj) : (tensor<2x16x64xf32>, tensor<16xi32>, tensor<32x64xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
    %h1 = ds.add %hidden, %attn : tensor<2x16x64xf32>
    %h1_n = ds.rms_norm %h1, %post_attn_norm epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    %ffn = func.call @moe(%h1_n, %router, %bias, %experts_gate, %experts_up, %experts_down, %shared_gate, %shared_up, %shared_down) : (tensor<2x16x64xf32>, tensor<8x64xf32>, tensor<8xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>, tensor<32x64xf32>, tensor<32x64xf32>, tensor<64x32xf32>) -> tensor<2x16x64xf32>
    %h2 = ds.add %h1, %ffn : tensor<2x16x64xf32>
    return %h2 : tensor<2x16x64xf32>
  }

  // tokens + targets -> mean cross-entropy loss.
  func.func @forward(
      %tokens: tensor<2x16xi32>,
      %targets: tensor<2x16xi32>,
      %embed: tensor<512x64xf32> {ds.param = #ds.param<"model.embed_tokens.weight", normal(0.0, 0.02)>},
      %l0_input_norm: tensor<64xf32> {ds.param = #ds.param<"model.layers.0.input_layernorm.weight", ones>},
      %l0_q_a_proj: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.0.self_attn.q_a_proj.weight", normal(0.0, 0.02)>},
      %l0_q_a_norm: tensor<32xf32> {ds.param = #ds.param<"model.layers.0.self_attn.q_a_layernorm.weight", ones>},
      %l0_q_b_proj: tensor<96x32xf32> {ds.param = #ds.param<"model.layers.0.self_attn.q_b_proj.weight", normal(0.0, 0.02)>},
      %l0_kv_a_proj: tensor<40x64xf32> {ds.param = #ds.param<"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", normal(0.0, 0.02)>},
      %l0_kv_a_norm: tensor<32xf32> {ds.param = #ds.param<"model.layers.0.self_attn.kv_a_layernorm.weight", ones>},
      %l0_kv_b_proj: tensor<128x32xf32> {ds.param = #ds.param<"model.layers.0.self_attn.kv_b_proj.weight", normal(0.0, 0.02)>},
      %l0_o_proj: tensor<64x64xf32> {ds.param = #ds.param<"model.layers.0.self_attn.o_proj.weight", normal(0.0, 0.02)>},
      %l0_post_attn_norm: tensor<64xf32> {ds.param = #ds.param<"model.layers.0.post_attention_layernorm.weight", ones>},
      %l0_gate_proj: tensor<128x64xf32> {ds.param = #ds.param<"model.layers.0.mlp.gate_proj.weight", normal(0.0, 0.02)>},
      %l0_up_proj: tensor<128x64xf32> {ds.param = #ds.param<"model.layers.0.mlp.up_proj.weight", normal(0.0, 0.02)>},
      %l0_down_proj: tensor<64x128xf32> {ds.param = #ds.param<"model.layers.0.mlp.down_proj.weight", normal(0.0, 0.02)>},
      %l1_input_norm: tensor<64xf32> {ds.param = #ds.param<"model.layers.1.input_layernorm.weight", ones>},
      %l1_q_a_proj: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.1.self_attn.q_a_proj.weight", normal(0.0, 0.02)>},
      %l1_q_a_norm: tensor<32xf32> {ds.param = #ds.param<"model.layers.1.self_attn.q_a_layernorm.weight", ones>},
      %l1_q_b_proj: tensor<96x32xf32> {ds.param = #ds.param<"model.layers.1.self_attn.q_b_proj.weight", normal(0.0, 0.02)>},
      %l1_kv_a_proj: tensor<40x64xf32> {ds.param = #ds.param<"model.layers.1.self_attn.kv_a_proj_with_mqa.weight", normal(0.0, 0.02)>},
      %l1_kv_a_norm: tensor<32xf32> {ds.param = #ds.param<"model.layers.1.self_attn.kv_a_layernorm.weight", ones>},
      %l1_kv_b_proj: tensor<128x32xf32> {ds.param = #ds.param<"model.layers.1.self_attn.kv_b_proj.weight", normal(0.0, 0.02)>},
      %l1_o_proj: tensor<64x64xf32> {ds.param = #ds.param<"model.layers.1.self_attn.o_proj.weight", normal(0.0, 0.02)>},
      %l1_post_attn_norm: tensor<64xf32> {ds.param = #ds.param<"model.layers.1.post_attention_layernorm.weight", ones>},
      %l1_router: tensor<8x64xf32> {ds.param = #ds.param<"model.layers.1.mlp.gate.weight", normal(0.0, 0.02)>},
      %l1_bias: tensor<8xf32> {ds.param = #ds.param<"model.layers.1.mlp.gate.e_score_correction_bias", zeros>},
      %l1_experts_gate: tensor<8x32x64xf32> {ds.param = #ds.param<"model.layers.1.mlp.experts.*.gate_proj.weight", normal(0.0, 0.02)>},
      %l1_experts_up: tensor<8x32x64xf32> {ds.param = #ds.param<"model.layers.1.mlp.experts.*.up_proj.weight", normal(0.0, 0.02)>},
      %l1_experts_down: tensor<8x64x32xf32> {ds.param = #ds.param<"model.layers.1.mlp.experts.*.down_proj.weight", normal(0.0, 0.02)>},
      %l1_shared_gate: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.1.mlp.shared_experts.gate_proj.weight", normal(0.0, 0.02)>},
      %l1_shared_up: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.1.mlp.shared_experts.up_proj.weight", normal(0.0, 0.02)>},
      %l1_shared_down: tensor<64x32xf32> {ds.param = #ds.param<"model.layers.1.mlp.shared_experts.down_proj.weight", normal(0.0, 0.02)>},
      %l2_input_norm: tensor<64xf32> {ds.param = #ds.param<"model.layers.2.input_layernorm.weight", ones>},
      %l2_q_a_proj: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.2.self_attn.q_a_proj.weight", normal(0.0, 0.02)>},
      %l2_q_a_norm: tensor<32xf32> {ds.param = #ds.param<"model.layers.2.self_attn.q_a_layernorm.weight", ones>},
      %l2_q_b_proj: tensor<96x32xf32> {ds.param = #ds.param<"model.layers.2.self_attn.q_b_proj.weight", normal(0.0, 0.02)>},
      %l2_kv_a_proj: tensor<40x64xf32> {ds.param = #ds.param<"model.layers.2.self_attn.kv_a_proj_with_mqa.weight", normal(0.0, 0.02)>},
      %l2_kv_a_norm: tensor<32xf32> {ds.param = #ds.param<"model.layers.2.self_attn.kv_a_layernorm.weight", ones>},
      %l2_kv_b_proj: tensor<128x32xf32> {ds.param = #ds.param<"model.layers.2.self_attn.kv_b_proj.weight", normal(0.0, 0.02)>},
      %l2_o_proj: tensor<64x64xf32> {ds.param = #ds.param<"model.layers.2.self_attn.o_proj.weight", normal(0.0, 0.02)>},
      %l2_post_attn_norm: tensor<64xf32> {ds.param = #ds.param<"model.layers.2.post_attention_layernorm.weight", ones>},
      %l2_router: tensor<8x64xf32> {ds.param = #ds.param<"model.layers.2.mlp.gate.weight", normal(0.0, 0.02)>},
      %l2_bias: tensor<8xf32> {ds.param = #ds.param<"model.layers.2.mlp.gate.e_score_correction_bias", zeros>},
      %l2_experts_gate: tensor<8x32x64xf32> {ds.param = #ds.param<"model.layers.2.mlp.experts.*.gate_proj.weight", normal(0.0, 0.02)>},
      %l2_experts_up: tensor<8x32x64xf32> {ds.param = #ds.param<"model.layers.2.mlp.experts.*.up_proj.weight", normal(0.0, 0.02)>},
      %l2_experts_down: tensor<8x64x32xf32> {ds.param = #ds.param<"model.layers.2.mlp.experts.*.down_proj.weight", normal(0.0, 0.02)>},
      %l2_shared_gate: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.2.mlp.shared_experts.gate_proj.weight", normal(0.0, 0.02)>},
      %l2_shared_up: tensor<32x64xf32> {ds.param = #ds.param<"model.layers.2.mlp.shared_experts.up_proj.weight", normal(0.0, 0.02)>},
      %l2_shared_down: tensor<64x32xf32> {ds.param = #ds.param<"model.layers.2.mlp.shared_experts.down_proj.weight", normal(0.0, 0.02)>},
      %final_norm: tensor<64xf32> {ds.param = #ds.param<"model.norm.weight", ones>},
      %lm_head: tensor<512x64xf32> {ds.param = #ds.param<"lm_head.weight", normal(0.0, 0.02)>}) -> tensor<f32> {
    %positions = ds.iota dim = 0 : tensor<16xi32>
    %h0 = ds.gather %embed, %tokens axis = 0 : (tensor<512x64xf32>, tensor<2x16xi32>) -> tensor<2x16x64xf32>
    %h1 = func.call @dense_layer(%h0, %positions, %l0_input_norm, %l0_q_a_proj, %l0_q_a_norm, %l0_q_b_proj, %l0_kv_a_proj, %l0_kv_a_norm, %l0_kv_b_proj, %l0_o_proj, %l0_post_attn_norm, %l0_gate_proj, %l0_up_proj, %l0_down_proj) : (tensor<2x16x64xf32>, tensor<16xi32>, tensor<64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<2x16x64xf32>
    %h2 = func.call @moe_layer(%h1, %positions, %l1_input_norm, %l1_q_a_proj, %l1_q_a_norm, %l1_q_b_proj, %l1_kv_a_proj, %l1_kv_a_norm, %l1_kv_b_proj, %l1_o_proj, %l1_post_attn_norm, %l1_router, %l1_bias, %l1_experts_gate, %l1_experts_up, %l1_experts_down, %l1_shared_gate, %l1_shared_up, %l1_shared_down) : (tensor<2x16x64xf32>, tensor<16xi32>, tensor<64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<8x64xf32>, tensor<8xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>, tensor<32x64xf32>, tensor<32x64xf32>, tensor<64x32xf32>) -> tensor<2x16x64xf32>
    %h3 = func.call @moe_layer(%h2, %positions, %l2_input_norm, %l2_q_a_proj, %l2_q_a_norm, %l2_q_b_proj, %l2_kv_a_proj, %l2_kv_a_norm, %l2_kv_b_proj, %l2_o_proj, %l2_post_attn_norm, %l2_router, %l2_bias, %l2_experts_gate, %l2_experts_up, %l2_experts_down, %l2_shared_gate, %l2_shared_up, %l2_shared_down) : (tensor<2x16x64xf32>, tensor<16xi32>, tensor<64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<96x32xf32>, tensor<40x64xf32>, tensor<32xf32>, tensor<128x32xf32>, tensor<64x64xf32>, tensor<64xf32>, tensor<8x64xf32>, tensor<8xf32>, tensor<8x32x64xf32>, tensor<8x32x64xf32>, tensor<8x64x32xf32>, tensor<32x64xf32>, tensor<32x64xf32>, tensor<64x32xf32>) -> tensor<2x16x64xf32>
    %hn = ds.rms_norm %h3, %final_norm epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    %logits = ds.matmul %hn, %lm_head transpose_rhs : (tensor<2x16x64xf32>, tensor<512x64xf32>) -> tensor<2x16x512xf32>
    %loss = ds.cross_entropy %logits, %targets : (tensor<2x16x512xf32>, tensor<2x16xi32>) -> tensor<f32>
    return %loss : tensor<f32>
  }
}
