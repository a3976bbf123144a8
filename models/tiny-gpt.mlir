// A tiny GPT-2-style dense transformer (about 0.9M parameters), written by hand
// in the ds dialect: byte-level vocabulary (256), hidden 128, 4 heads, 4 layers,
// learned positions, LayerNorm, GELU (tanh), tied input/output embeddings;
// batch 2 x 64 tokens. Weights use GPT-2's Conv1D layout [in, out] and its
// Hugging Face names. One function per layer kind, called once per layer.
// Try: ds-opt models/tiny-gpt.mlir --canonicalize --cse

module {
  // Pre-norm block: h + attn(ln_1(h)), then + mlp(ln_2(.)).
  func.func private @block(%h: tensor<2x64x128xf32>, %ln_1_w: tensor<128xf32>, %ln_1_b: tensor<128xf32>, %c_attn_w: tensor<128x384xf32>, %c_attn_b: tensor<384xf32>, %c_proj_w: tensor<128x128xf32>, %c_proj_b: tensor<128xf32>, %ln_2_w: tensor<128xf32>, %ln_2_b: tensor<128xf32>, %fc_w: tensor<128x512xf32>, %fc_b: tensor<512xf32>, %fc_proj_w: tensor<512x128xf32>, %fc_proj_b: tensor<128xf32>) -> tensor<2x64x128xf32> {
    %a_in = ds.layer_norm %h, %ln_1_w, %ln_1_b epsilon = 1.0e-05 : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %qkv_mm = ds.matmul %a_in, %c_attn_w : (tensor<2x64x128xf32>, tensor<128x384xf32>) -> tensor<2x64x384xf32>
    %qkv = ds.add %qkv_mm, %c_attn_b : (tensor<2x64x384xf32>, tensor<384xf32>) -> tensor<2x64x384xf32>
    %q, %k, %v = ds.split %qkv axis = 2 sizes = [128, 128, 128] : tensor<2x64x384xf32> -> tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<2x64x128xf32>
    %qh = ds.reshape %q : tensor<2x64x128xf32> -> tensor<2x64x4x32xf32>
    %kh = ds.reshape %k : tensor<2x64x128xf32> -> tensor<2x64x4x32xf32>
    %vh = ds.reshape %v : tensor<2x64x128xf32> -> tensor<2x64x4x32xf32>
    %att = ds.attention %qh, %kh, %vh causal : (tensor<2x64x4x32xf32>, tensor<2x64x4x32xf32>, tensor<2x64x4x32xf32>) -> tensor<2x64x4x32xf32>
    %att_flat = ds.reshape %att : tensor<2x64x4x32xf32> -> tensor<2x64x128xf32>
    %proj_mm = ds.matmul %att_flat, %c_proj_w : (tensor<2x64x128xf32>, tensor<128x128xf32>) -> tensor<2x64x128xf32>
    %proj = ds.add %proj_mm, %c_proj_b : (tensor<2x64x128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %h1 = ds.add %h, %proj : tensor<2x64x128xf32>
    %m_in = ds.layer_norm %h1, %ln_2_w, %ln_2_b epsilon = 1.0e-05 : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %fc_mm = ds.matmul %m_in, %fc_w : (tensor<2x64x128xf32>, tensor<128x512xf32>) -> tensor<2x64x512xf32>
    %fc = ds.add %fc_mm, %fc_b : (tensor<2x64x512xf32>, tensor<512xf32>) -> tensor<2x64x512xf32>
    %act = ds.gelu %fc approximate = tanh : tensor<2x64x512xf32>
    %out_mm = ds.matmul %act, %fc_proj_w : (tensor<2x64x512xf32>, tensor<512x128xf32>) -> tensor<2x64x128xf32>
    %out = ds.add %out_mm, %fc_proj_b : (tensor<2x64x128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %h2 = ds.add %h1, %out : tensor<2x64x128xf32>
    return %h2 : tensor<2x64x128xf32>
  }

  // tokens + targets -> mean cross-entropy loss.
  func.func @forward(
      %tokens: tensor<2x64xi32>,
      %targets: tensor<2x64xi32>,
      %wte: tensor<256x128xf32> {ds.param = #ds.param<"transformer.wte.weight", normal(0.0, 0.02)>},
      %wpe: tensor<64x128xf32> {ds.param = #ds.param<"transformer.wpe.weight", normal(0.0, 0.01)>},
      %l0_ln_1_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.0.ln_1.weight", ones>},
      %l0_ln_1_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.0.ln_1.bias", zeros>},
      %l0_c_attn_w: tensor<128x384xf32> {ds.param = #ds.param<"transformer.h.0.attn.c_attn.weight", normal(0.0, 0.02)>},
      %l0_c_attn_b: tensor<384xf32> {ds.param = #ds.param<"transformer.h.0.attn.c_attn.bias", zeros>},
      %l0_c_proj_w: tensor<128x128xf32> {ds.param = #ds.param<"transformer.h.0.attn.c_proj.weight", normal(0.0, 0.01)>},
      %l0_c_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.0.attn.c_proj.bias", zeros>},
      %l0_ln_2_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.0.ln_2.weight", ones>},
      %l0_ln_2_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.0.ln_2.bias", zeros>},
      %l0_fc_w: tensor<128x512xf32> {ds.param = #ds.param<"transformer.h.0.mlp.c_fc.weight", normal(0.0, 0.02)>},
      %l0_fc_b: tensor<512xf32> {ds.param = #ds.param<"transformer.h.0.mlp.c_fc.bias", zeros>},
      %l0_fc_proj_w: tensor<512x128xf32> {ds.param = #ds.param<"transformer.h.0.mlp.c_proj.weight", normal(0.0, 0.01)>},
      %l0_fc_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.0.mlp.c_proj.bias", zeros>},
      %l1_ln_1_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.1.ln_1.weight", ones>},
      %l1_ln_1_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.1.ln_1.bias", zeros>},
      %l1_c_attn_w: tensor<128x384xf32> {ds.param = #ds.param<"transformer.h.1.attn.c_attn.weight", normal(0.0, 0.02)>},
      %l1_c_attn_b: tensor<384xf32> {ds.param = #ds.param<"transformer.h.1.attn.c_attn.bias", zeros>},
      %l1_c_proj_w: tensor<128x128xf32> {ds.param = #ds.param<"transformer.h.1.attn.c_proj.weight", normal(0.0, 0.01)>},
      %l1_c_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.1.attn.c_proj.bias", zeros>},
      %l1_ln_2_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.1.ln_2.weight", ones>},
      %l1_ln_2_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.1.ln_2.bias", zeros>},
      %l1_fc_w: tensor<128x512xf32> {ds.param = #ds.param<"transformer.h.1.mlp.c_fc.weight", normal(0.0, 0.02)>},
      %l1_fc_b: tensor<512xf32> {ds.param = #ds.param<"transformer.h.1.mlp.c_fc.bias", zeros>},
      %l1_fc_proj_w: tensor<512x128xf32> {ds.param = #ds.param<"transformer.h.1.mlp.c_proj.weight", normal(0.0, 0.01)>},
      %l1_fc_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.1.mlp.c_proj.bias", zeros>},
      %l2_ln_1_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.2.ln_1.weight", ones>},
      %l2_ln_1_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.2.ln_1.bias", zeros>},
      %l2_c_attn_w: tensor<128x384xf32> {ds.param = #ds.param<"transformer.h.2.attn.c_attn.weight", normal(0.0, 0.02)>},
      %l2_c_attn_b: tensor<384xf32> {ds.param = #ds.param<"transformer.h.2.attn.c_attn.bias", zeros>},
      %l2_c_proj_w: tensor<128x128xf32> {ds.param = #ds.param<"transformer.h.2.attn.c_proj.weight", normal(0.0, 0.01)>},
      %l2_c_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.2.attn.c_proj.bias", zeros>},
      %l2_ln_2_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.2.ln_2.weight", ones>},
      %l2_ln_2_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.2.ln_2.bias", zeros>},
      %l2_fc_w: tensor<128x512xf32> {ds.param = #ds.param<"transformer.h.2.mlp.c_fc.weight", normal(0.0, 0.02)>},
      %l2_fc_b: tensor<512xf32> {ds.param = #ds.param<"transformer.h.2.mlp.c_fc.bias", zeros>},
      %l2_fc_proj_w: tensor<512x128xf32> {ds.param = #ds.param<"transformer.h.2.mlp.c_proj.weight", normal(0.0, 0.01)>},
      %l2_fc_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.2.mlp.c_proj.bias", zeros>},
      %l3_ln_1_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.3.ln_1.weight", ones>},
      %l3_ln_1_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.3.ln_1.bias", zeros>},
      %l3_c_attn_w: tensor<128x384xf32> {ds.param = #ds.param<"transformer.h.3.attn.c_attn.weight", normal(0.0, 0.02)>},
      %l3_c_attn_b: tensor<384xf32> {ds.param = #ds.param<"transformer.h.3.attn.c_attn.bias", zeros>},
      %l3_c_proj_w: tensor<128x128xf32> {ds.param = #ds.param<"transformer.h.3.attn.c_proj.weight", normal(0.0, 0.01)>},
      %l3_c_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.3.attn.c_proj.bias", zeros>},
      %l3_ln_2_w: tensor<128xf32> {ds.param = #ds.param<"transformer.h.3.ln_2.weight", ones>},
      %l3_ln_2_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.3.ln_2.bias", zeros>},
      %l3_fc_w: tensor<128x512xf32> {ds.param = #ds.param<"transformer.h.3.mlp.c_fc.weight", normal(0.0, 0.02)>},
      %l3_fc_b: tensor<512xf32> {ds.param = #ds.param<"transformer.h.3.mlp.c_fc.bias", zeros>},
      %l3_fc_proj_w: tensor<512x128xf32> {ds.param = #ds.param<"transformer.h.3.mlp.c_proj.weight", normal(0.0, 0.01)>},
      %l3_fc_proj_b: tensor<128xf32> {ds.param = #ds.param<"transformer.h.3.mlp.c_proj.bias", zeros>},
      %ln_f_w: tensor<128xf32> {ds.param = #ds.param<"transformer.ln_f.weight", ones>},
      %ln_f_b: tensor<128xf32> {ds.param = #ds.param<"transformer.ln_f.bias", zeros>}) -> tensor<f32> {
    %positions = ds.iota dim = 0 : tensor<64xi32>
    %tok = ds.gather %wte, %tokens axis = 0 : (tensor<256x128xf32>, tensor<2x64xi32>) -> tensor<2x64x128xf32>
    %pos = ds.gather %wpe, %positions axis = 0 : (tensor<64x128xf32>, tensor<64xi32>) -> tensor<64x128xf32>
    %h0 = ds.add %tok, %pos : (tensor<2x64x128xf32>, tensor<64x128xf32>) -> tensor<2x64x128xf32>
    %h1 = func.call @block(%h0, %l0_ln_1_w, %l0_ln_1_b, %l0_c_attn_w, %l0_c_attn_b, %l0_c_proj_w, %l0_c_proj_b, %l0_ln_2_w, %l0_ln_2_b, %l0_fc_w, %l0_fc_b, %l0_fc_proj_w, %l0_fc_proj_b) : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x384xf32>, tensor<384xf32>, tensor<128x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x512xf32>, tensor<512xf32>, tensor<512x128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %h2 = func.call @block(%h1, %l1_ln_1_w, %l1_ln_1_b, %l1_c_attn_w, %l1_c_attn_b, %l1_c_proj_w, %l1_c_proj_b, %l1_ln_2_w, %l1_ln_2_b, %l1_fc_w, %l1_fc_b, %l1_fc_proj_w, %l1_fc_proj_b) : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x384xf32>, tensor<384xf32>, tensor<128x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x512xf32>, tensor<512xf32>, tensor<512x128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %h3 = func.call @block(%h2, %l2_ln_1_w, %l2_ln_1_b, %l2_c_attn_w, %l2_c_attn_b, %l2_c_proj_w, %l2_c_proj_b, %l2_ln_2_w, %l2_ln_2_b, %l2_fc_w, %l2_fc_b, %l2_fc_proj_w, %l2_fc_proj_b) : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x384xf32>, tensor<384xf32>, tensor<128x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x512xf32>, tensor<512xf32>, tensor<512x128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %h4 = func.call @block(%h3, %l3_ln_1_w, %l3_ln_1_b, %l3_c_attn_w, %l3_c_attn_b, %l3_c_proj_w, %l3_c_proj_b, %l3_ln_2_w, %l3_ln_2_b, %l3_fc_w, %l3_fc_b, %l3_fc_proj_w, %l3_fc_proj_b) : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x384xf32>, tensor<384xf32>, tensor<128x128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128xf32>, tensor<128x512xf32>, tensor<512xf32>, tensor<512x128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %hn = ds.layer_norm %h4, %ln_f_w, %ln_f_b epsilon = 1.0e-05 : (tensor<2x64x128xf32>, tensor<128xf32>, tensor<128xf32>) -> tensor<2x64x128xf32>
    %logits = ds.matmul %hn, %wte transpose_rhs : (tensor<2x64x128xf32>, tensor<256x128xf32>) -> tensor<2x64x256xf32>
    %loss = ds.cross_entropy %logits, %targets : (tensor<2x64x256xf32>, tensor<2x64xi32>) -> tensor<f32>
    return %loss : tensor<f32>
  }
}
