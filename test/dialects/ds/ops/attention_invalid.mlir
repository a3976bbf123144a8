// Each verifier rule of ds.attention and ds.attention_grad. The result types
// are inferred, so a broken rule is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @query_rank_3(%q: tensor<16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op operand #0 (query) must have rank 4 [B, Tq, Hq, Dqk], got [16, 4, 64]}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<16x4x64xf32>
  return %0 : tensor<16x4x64xf32>
}

// -----

func.func @key_rank_5(%q: tensor<1x16x4x64xf32>, %k: tensor<1x1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op operand #1 (key) must have rank 4 [B, Tk, Hkv, Dqk], got [1, 1, 16, 4, 64]}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x64xf32>, tensor<1x1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @value_rank_3(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op operand #2 (value) must have rank 4 [B, Tk, Hkv, Dv], got [16, 4, 64]}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @key_dtype(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xbf16>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op operand #1 has element type 'bf16' but operand #0 has 'f32' (they must be equal)}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @value_dtype(%q: tensor<1x16x4x64xbf16>, %k: tensor<1x16x4x64xbf16>, %v: tensor<1x16x4x64xf16>) -> tensor<1x16x4x64xbf16> {
  // expected-error@+2 {{'ds.attention' op operand #2 has element type 'f16' but operand #0 has 'bf16' (they must be equal)}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xf16>) -> tensor<1x16x4x64xbf16>
  return %0 : tensor<1x16x4x64xbf16>
}

// -----

func.func @batch_query_key(%q: tensor<2x16x4x64xf32>, %k: tensor<3x16x4x64xf32>, %v: tensor<2x16x4x64xf32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op the batch size differs: dimension 0 of operand #0 is 2 but dimension 0 of operand #1 is 3}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<2x16x4x64xf32>, tensor<3x16x4x64xf32>, tensor<2x16x4x64xf32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// The batch does not broadcast: 1 is not 2.
func.func @batch_query_value(%q: tensor<2x16x4x64xf32>, %k: tensor<2x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op the batch size differs: dimension 0 of operand #0 is 2 but dimension 0 of operand #2 is 1}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<2x16x4x64xf32>, tensor<2x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @key_length(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x15x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op the key length differs: dimension 1 of operand #1 is 16 but dimension 1 of operand #2 is 15}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x15x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @kv_heads(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x2x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op the key/value head count differs: dimension 2 of operand #1 is 4 but dimension 2 of operand #2 is 2}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x2x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @qk_head_dim(%q: tensor<1x16x4x192xf32>, %k: tensor<1x16x4x128xf32>, %v: tensor<1x16x4x128xf32>) -> tensor<1x16x4x128xf32> {
  // expected-error@+2 {{'ds.attention' op the query/key head dimension differs: dimension 3 of operand #0 is 192 but dimension 3 of operand #1 is 128}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x192xf32>, tensor<1x16x4x128xf32>, tensor<1x16x4x128xf32>) -> tensor<1x16x4x128xf32>
  return %0 : tensor<1x16x4x128xf32>
}

// -----

func.func @gqa_not_divisible(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x3x64xf32>, %v: tensor<1x16x3x64xf32>) -> tensor<1x16x8x64xf32> {
  // expected-error@+2 {{'ds.attention' op the 8 query heads are not a multiple of the 3 key/value heads}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x16x3x64xf32>, tensor<1x16x3x64xf32>) -> tensor<1x16x8x64xf32>
  return %0 : tensor<1x16x8x64xf32>
}

// -----

// Fewer query heads than key/value heads.
func.func @gqa_fewer_query_heads(%q: tensor<1x16x2x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x2x64xf32> {
  // expected-error@+2 {{'ds.attention' op the 2 query heads are not a multiple of the 4 key/value heads}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x2x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x2x64xf32>
  return %0 : tensor<1x16x2x64xf32>
}

// -----

func.func @gqa_zero_kv_heads(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x0x64xf32>, %v: tensor<1x16x0x64xf32>) -> tensor<1x16x8x64xf32> {
  // expected-error@+2 {{'ds.attention' op the 8 query heads are not a multiple of the 0 key/value heads}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x16x0x64xf32>, tensor<1x16x0x64xf32>) -> tensor<1x16x8x64xf32>
  return %0 : tensor<1x16x8x64xf32>
}

// -----

func.func @scale_zero(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op scale must be finite and > 0, got 0.000000e+00}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v causal scale = 0.0 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @scale_negative(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op scale must be finite and > 0, got -1.250000e-01}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v scale = -0.125 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @scale_infinite(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op scale must be finite and > 0, got INF}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v scale = 0x7FF0000000000000 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @window_zero(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op window must be >= 1, got 0}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v causal window = 0 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @window_negative(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op window must be >= 1, got -8}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v causal window = -8 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

func.func @window_without_causal(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  // expected-error@+2 {{'ds.attention' op a sliding window needs causal attention}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v window = 8 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32>
  return %0 : tensor<1x16x4x64xf32>
}

// -----

// The result's head dimension is the value's, not the query's.
func.func @result_head_dim(%q: tensor<1x16x4x192xf32>, %k: tensor<1x16x4x192xf32>, %v: tensor<1x16x4x128xf32>) -> tensor<1x16x4x192xf32> {
  // expected-error@+2 {{'ds.attention' op inferred type(s) 'tensor<1x16x4x128xf32>' are incompatible with return type(s) of operation 'tensor<1x16x4x192xf32>'}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x4x192xf32>, tensor<1x16x4x192xf32>, tensor<1x16x4x128xf32>) -> tensor<1x16x4x192xf32>
  return %0 : tensor<1x16x4x192xf32>
}

// -----

// The result has the query's heads, not the key/value heads.
func.func @result_heads(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x2x64xf32>, %v: tensor<1x16x2x64xf32>) -> tensor<1x16x2x64xf32> {
  // expected-error@+2 {{'ds.attention' op inferred type(s) 'tensor<1x16x8x64xf32>' are incompatible with return type(s) of operation 'tensor<1x16x2x64xf32>'}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v : (tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x2x64xf32>) -> tensor<1x16x2x64xf32>
  return %0 : tensor<1x16x2x64xf32>
}

// -----

// ds.attention_grad checks its first three operands as ds.attention does.
func.func @grad_heads_not_multiple(%q: tensor<1x16x6x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>, %do: tensor<1x16x6x64xf32>) -> (tensor<1x16x6x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) {
  // expected-error@+2 {{'ds.attention_grad' op the 6 query heads are not a multiple of the 4 key/value heads}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do : (tensor<1x16x6x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x6x64xf32>) -> (tensor<1x16x6x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>)
  return %dq, %dk, %dv : tensor<1x16x6x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>
}

// -----

func.func @grad_window_without_causal(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>, %do: tensor<1x16x4x64xf32>) -> (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) {
  // expected-error@+2 {{'ds.attention_grad' op a sliding window needs causal attention}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do window = 8 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>)
  return %dq, %dk, %dv : tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>
}

// -----

func.func @grad_scale_zero(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>, %do: tensor<1x16x4x64xf32>) -> (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) {
  // expected-error@+2 {{'ds.attention_grad' op scale must be finite and > 0, got 0}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do scale = 0.0 : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) -> (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>)
  return %dq, %dk, %dv : tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>
}

// -----

// The cotangent has the attention result's shape: the value's head
// dimension (128), not the query's (192).
func.func @grad_cotangent_head_dim(%q: tensor<1x16x4x192xf32>, %k: tensor<1x16x4x192xf32>, %v: tensor<1x16x4x128xf32>, %do: tensor<1x16x4x192xf32>) -> (tensor<1x16x4x192xf32>, tensor<1x16x4x192xf32>, tensor<1x16x4x128xf32>) {
  // expected-error@+2 {{'ds.attention_grad' op operand #3 (grad) has type 'tensor<1x16x4x192xf32>' but the attention result has type 'tensor<1x16x4x128xf32>'}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do : (tensor<1x16x4x192xf32>, tensor<1x16x4x192xf32>, tensor<1x16x4x128xf32>, tensor<1x16x4x192xf32>) -> (tensor<1x16x4x192xf32>, tensor<1x16x4x192xf32>, tensor<1x16x4x128xf32>)
  return %dq, %dk, %dv : tensor<1x16x4x192xf32>, tensor<1x16x4x192xf32>, tensor<1x16x4x128xf32>
}

// -----

func.func @grad_cotangent_element_type(%q: tensor<1x16x4x64xbf16>, %k: tensor<1x16x4x64xbf16>, %v: tensor<1x16x4x64xbf16>, %do: tensor<1x16x4x64xf32>) -> (tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>) {
  // expected-error@+2 {{'ds.attention_grad' op operand #3 (grad) has type 'tensor<1x16x4x64xf32>' but the attention result has type 'tensor<1x16x4x64xbf16>'}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do : (tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xf32>) -> (tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>)
  return %dq, %dk, %dv : tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>, tensor<1x16x4x64xbf16>
}

// -----

func.func @grad_cotangent_rank(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>, %do: tensor<16x4x64xf32>) -> (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>) {
  // expected-error@+2 {{'ds.attention_grad' op operand #3 (grad) has type 'tensor<16x4x64xf32>' but the attention result has type 'tensor<1x16x4x64xf32>'}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do : (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<16x4x64xf32>) -> (tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>)
  return %dq, %dk, %dv : tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32>
}

// -----

// The key's gradient has the key's type (2 heads), not the query's.
func.func @grad_result_types(%q: tensor<1x16x8x64xf32>, %k: tensor<1x16x2x64xf32>, %v: tensor<1x16x2x64xf32>, %do: tensor<1x16x8x64xf32>) -> (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>) {
  // expected-error@+2 {{'ds.attention_grad' op inferred type(s) 'tensor<1x16x8x64xf32>', 'tensor<1x16x2x64xf32>', 'tensor<1x16x2x64xf32>' are incompatible with return type(s) of operation 'tensor<1x16x8x64xf32>', 'tensor<1x16x8x64xf32>', 'tensor<1x16x2x64xf32>'}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do : (tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x2x64xf32>, tensor<1x16x8x64xf32>) -> (tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>)
  return %dq, %dk, %dv : tensor<1x16x8x64xf32>, tensor<1x16x8x64xf32>, tensor<1x16x2x64xf32>
}

// -----

func.func @key_length_rank_1(%q: tensor<1x1x4x8xf32>, %k: tensor<1x16x4x8xf32>, %v: tensor<1x16x4x8xf32>, %len: tensor<1xi32>) -> tensor<1x1x4x8xf32> {
  // expected-error@+2 {{'ds.attention' op operand #3 (key_length) must be a rank-0 integer tensor, got 'tensor<1xi32>'}}
  // expected-error@+1 {{'ds.attention' op failed to infer returned types}}
  %0 = ds.attention %q, %k, %v key_length %len causal : (tensor<1x1x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1xi32>) -> tensor<1x1x4x8xf32>
  return %0 : tensor<1x1x4x8xf32>
}

// -----

func.func @key_length_float(%q: tensor<1x1x4x8xf32>, %k: tensor<1x16x4x8xf32>, %v: tensor<1x16x4x8xf32>, %len: tensor<f32>) -> tensor<1x1x4x8xf32> {
  // expected-error@+1 {{'ds.attention' op operand #3 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = ds.attention %q, %k, %v key_length %len causal : (tensor<1x1x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>, tensor<f32>) -> tensor<1x1x4x8xf32>
  return %0 : tensor<1x1x4x8xf32>
}

// -----

func.func @grad_key_length_rank_1(%q: tensor<1x1x4x8xf32>, %k: tensor<1x16x4x8xf32>, %v: tensor<1x16x4x8xf32>, %len: tensor<2xi64>) -> tensor<1x1x4x8xf32> {
  // expected-error@+2 {{'ds.attention_grad' op operand #4 (key_length) must be a rank-0 integer tensor, got 'tensor<2xi64>'}}
  // expected-error@+1 {{'ds.attention_grad' op failed to infer returned types}}
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %q key_length %len : (tensor<1x1x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x1x4x8xf32>, tensor<2xi64>) -> (tensor<1x1x4x8xf32>, tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>)
  return %dq : tensor<1x1x4x8xf32>
}
