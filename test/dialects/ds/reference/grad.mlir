// Numerical tests of the backward-pass ops in the reference interpreter
// (ds-interp): attention_grad, moe_route_grad and moe_ffn_grad, against numpy
// gradients written from their descriptions in docs/dialect/ds.md
// (goldens/grad.py; README.md). make_op_goldens.py checks each numpy gradient
// against central differences of the forward op's numpy implementation
// before writing it. f64 with rtol 1e-12, f32 with rtol 1e-6.

// ds.attention_grad of causal multi-head attention, default scale 1/sqrt(3).
// RUN: ds-interp %s --entry=attention_grad_causal_f64 --inputs=%S/Inputs/attention_grad_causal_f64.safetensors --compare=%S/Inputs/attention_grad_causal_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GRAD_CAUSAL_F64
// ATTENTION_GRAD_CAUSAL_F64: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_CAUSAL_F64: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_CAUSAL_F64: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_causal_f64(%q: tensor<2x4x2x3xf64> {ds.name = "q"}, %k: tensor<2x4x2x3xf64> {ds.name = "k"}, %v: tensor<2x4x2x3xf64> {ds.name = "v"}, %do: tensor<2x4x2x3xf64> {ds.name = "do"}) -> (tensor<2x4x2x3xf64> {ds.name = "dq"}, tensor<2x4x2x3xf64> {ds.name = "dk"}, tensor<2x4x2x3xf64> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal : (tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>) -> (tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>)
  return %dq, %dk, %dv : tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>
}

// No mask, an explicit scale, Tq = 3 < Tk = 5 and Dqk = 4 != Dv = 3.
// RUN: ds-interp %s --entry=attention_grad_full_scale_f64 --inputs=%S/Inputs/attention_grad_full_scale_f64.safetensors --compare=%S/Inputs/attention_grad_full_scale_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GRAD_FULL_SCALE_F64
// ATTENTION_GRAD_FULL_SCALE_F64: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_FULL_SCALE_F64: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_FULL_SCALE_F64: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_full_scale_f64(%q: tensor<1x3x2x4xf64> {ds.name = "q"}, %k: tensor<1x5x2x4xf64> {ds.name = "k"}, %v: tensor<1x5x2x3xf64> {ds.name = "v"}, %do: tensor<1x3x2x3xf64> {ds.name = "do"}) -> (tensor<1x3x2x4xf64> {ds.name = "dq"}, tensor<1x5x2x4xf64> {ds.name = "dk"}, tensor<1x5x2x3xf64> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do scale = 0.3 : (tensor<1x3x2x4xf64>, tensor<1x5x2x4xf64>, tensor<1x5x2x3xf64>, tensor<1x3x2x3xf64>) -> (tensor<1x3x2x4xf64>, tensor<1x5x2x4xf64>, tensor<1x5x2x3xf64>)
  return %dq, %dk, %dv : tensor<1x3x2x4xf64>, tensor<1x5x2x4xf64>, tensor<1x5x2x3xf64>
}

// Grouped-query attention (Hq = 4, Hkv = 2): the gradients of each key/value
// head sum those of its two query heads.
// RUN: ds-interp %s --entry=attention_grad_gqa_f64 --inputs=%S/Inputs/attention_grad_gqa_f64.safetensors --compare=%S/Inputs/attention_grad_gqa_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GRAD_GQA_F64
// ATTENTION_GRAD_GQA_F64: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_GQA_F64: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_GQA_F64: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_gqa_f64(%q: tensor<1x5x4x3xf64> {ds.name = "q"}, %k: tensor<1x5x2x3xf64> {ds.name = "k"}, %v: tensor<1x5x2x3xf64> {ds.name = "v"}, %do: tensor<1x5x4x3xf64> {ds.name = "do"}) -> (tensor<1x5x4x3xf64> {ds.name = "dq"}, tensor<1x5x2x3xf64> {ds.name = "dk"}, tensor<1x5x2x3xf64> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal : (tensor<1x5x4x3xf64>, tensor<1x5x2x3xf64>, tensor<1x5x2x3xf64>, tensor<1x5x4x3xf64>) -> (tensor<1x5x4x3xf64>, tensor<1x5x2x3xf64>, tensor<1x5x2x3xf64>)
  return %dq, %dk, %dv : tensor<1x5x4x3xf64>, tensor<1x5x2x3xf64>, tensor<1x5x2x3xf64>
}

// Causal with a sliding window of 3 and Tq = 3 < Tk = 6 (the queries sit at
// positions 3, 4 and 5), multi-query (Hkv = 1).
// RUN: ds-interp %s --entry=attention_grad_window_tq_lt_tk_f64 --inputs=%S/Inputs/attention_grad_window_tq_lt_tk_f64.safetensors --compare=%S/Inputs/attention_grad_window_tq_lt_tk_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GRAD_WINDOW_TQ_LT_TK_F64
// ATTENTION_GRAD_WINDOW_TQ_LT_TK_F64: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_WINDOW_TQ_LT_TK_F64: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_WINDOW_TQ_LT_TK_F64: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_window_tq_lt_tk_f64(%q: tensor<1x3x2x3xf64> {ds.name = "q"}, %k: tensor<1x6x1x3xf64> {ds.name = "k"}, %v: tensor<1x6x1x3xf64> {ds.name = "v"}, %do: tensor<1x3x2x3xf64> {ds.name = "do"}) -> (tensor<1x3x2x3xf64> {ds.name = "dq"}, tensor<1x6x1x3xf64> {ds.name = "dk"}, tensor<1x6x1x3xf64> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal window = 3 : (tensor<1x3x2x3xf64>, tensor<1x6x1x3xf64>, tensor<1x6x1x3xf64>, tensor<1x3x2x3xf64>) -> (tensor<1x3x2x3xf64>, tensor<1x6x1x3xf64>, tensor<1x6x1x3xf64>)
  return %dq, %dk, %dv : tensor<1x3x2x3xf64>, tensor<1x6x1x3xf64>, tensor<1x6x1x3xf64>
}

// Tq = 4 > Tk = 2 with causal: queries 0 and 1 see no key, so their dq is zero
// and they add nothing to dk and dv.
// RUN: ds-interp %s --entry=attention_grad_no_visible_key_f64 --inputs=%S/Inputs/attention_grad_no_visible_key_f64.safetensors --compare=%S/Inputs/attention_grad_no_visible_key_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GRAD_NO_VISIBLE_KEY_F64
// ATTENTION_GRAD_NO_VISIBLE_KEY_F64: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_NO_VISIBLE_KEY_F64: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_NO_VISIBLE_KEY_F64: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_no_visible_key_f64(%q: tensor<1x4x2x3xf64> {ds.name = "q"}, %k: tensor<1x2x2x3xf64> {ds.name = "k"}, %v: tensor<1x2x2x3xf64> {ds.name = "v"}, %do: tensor<1x4x2x3xf64> {ds.name = "do"}) -> (tensor<1x4x2x3xf64> {ds.name = "dq"}, tensor<1x2x2x3xf64> {ds.name = "dk"}, tensor<1x2x2x3xf64> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal : (tensor<1x4x2x3xf64>, tensor<1x2x2x3xf64>, tensor<1x2x2x3xf64>, tensor<1x4x2x3xf64>) -> (tensor<1x4x2x3xf64>, tensor<1x2x2x3xf64>, tensor<1x2x2x3xf64>)
  return %dq, %dk, %dv : tensor<1x4x2x3xf64>, tensor<1x2x2x3xf64>, tensor<1x2x2x3xf64>
}

// f32, Hq = 4 over Hkv = 2, causal with a window of 2.
// RUN: ds-interp %s --entry=attention_grad_f32 --inputs=%S/Inputs/attention_grad_f32.safetensors --compare=%S/Inputs/attention_grad_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=ATTENTION_GRAD_F32
// ATTENTION_GRAD_F32: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_F32: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_F32: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_f32(%q: tensor<1x4x4x8xf32> {ds.name = "q"}, %k: tensor<1x4x2x8xf32> {ds.name = "k"}, %v: tensor<1x4x2x8xf32> {ds.name = "v"}, %do: tensor<1x4x4x8xf32> {ds.name = "do"}) -> (tensor<1x4x4x8xf32> {ds.name = "dq"}, tensor<1x4x2x8xf32> {ds.name = "dk"}, tensor<1x4x2x8xf32> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal window = 2 : (tensor<1x4x4x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>)
  return %dq, %dk, %dv : tensor<1x4x4x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>
}

// ds.moe_route_grad, DeepSeek-V3 style: sigmoid scores, renormalized over the 3
// chosen experts (the normalization couples them), routed_scaling_factor 2.5.
// The unchosen experts' logits get zero.
// RUN: ds-interp %s --entry=moe_route_grad_sigmoid_norm_f64 --inputs=%S/Inputs/moe_route_grad_sigmoid_norm_f64.safetensors --compare=%S/Inputs/moe_route_grad_sigmoid_norm_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_GRAD_SIGMOID_NORM_F64
// MOE_ROUTE_GRAD_SIGMOID_NORM_F64: compare out with out: relative error {{.*}} ok
func.func @moe_route_grad_sigmoid_norm_f64(%logits: tensor<5x8xf64> {ds.name = "logits"}, %idx: tensor<5x3xi32> {ds.name = "idx"}, %dw: tensor<5x3xf64> {ds.name = "dw"}) -> (tensor<5x8xf64> {ds.name = "out"}) {
  %out = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<5x8xf64>, tensor<5x3xi32>, tensor<5x3xf64>) -> tensor<5x8xf64>
  return %out : tensor<5x8xf64>
}

// Softmax without renormalization, i64 indices: the softmax couples all the
// logits, so the unchosen experts get a gradient too.
// RUN: ds-interp %s --entry=moe_route_grad_softmax_f64 --inputs=%S/Inputs/moe_route_grad_softmax_f64.safetensors --compare=%S/Inputs/moe_route_grad_softmax_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_GRAD_SOFTMAX_F64
// MOE_ROUTE_GRAD_SOFTMAX_F64: compare out with out: relative error {{.*}} ok
func.func @moe_route_grad_softmax_f64(%logits: tensor<4x6xf64> {ds.name = "logits"}, %idx: tensor<4x2xi64> {ds.name = "idx"}, %dw: tensor<4x2xf64> {ds.name = "dw"}) -> (tensor<4x6xf64> {ds.name = "out"}) {
  %out = ds.moe_route_grad %logits, %idx, %dw scoring = softmax routed_scaling_factor = 1.5 : (tensor<4x6xf64>, tensor<4x2xi64>, tensor<4x2xf64>) -> tensor<4x6xf64>
  return %out : tensor<4x6xf64>
}

// Softmax with renormalization.
// RUN: ds-interp %s --entry=moe_route_grad_softmax_norm_f64 --inputs=%S/Inputs/moe_route_grad_softmax_norm_f64.safetensors --compare=%S/Inputs/moe_route_grad_softmax_norm_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_GRAD_SOFTMAX_NORM_F64
// MOE_ROUTE_GRAD_SOFTMAX_NORM_F64: compare out with out: relative error {{.*}} ok
func.func @moe_route_grad_softmax_norm_f64(%logits: tensor<3x5xf64> {ds.name = "logits"}, %idx: tensor<3x2xi32> {ds.name = "idx"}, %dw: tensor<3x2xf64> {ds.name = "dw"}) -> (tensor<3x5xf64> {ds.name = "out"}) {
  %out = ds.moe_route_grad %logits, %idx, %dw scoring = softmax norm_topk_prob routed_scaling_factor = 1.0 : (tensor<3x5xf64>, tensor<3x2xi32>, tensor<3x2xf64>) -> tensor<3x5xf64>
  return %out : tensor<3x5xf64>
}

// f32, sigmoid with renormalization.
// RUN: ds-interp %s --entry=moe_route_grad_sigmoid_f32 --inputs=%S/Inputs/moe_route_grad_sigmoid_f32.safetensors --compare=%S/Inputs/moe_route_grad_sigmoid_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=MOE_ROUTE_GRAD_SIGMOID_F32
// MOE_ROUTE_GRAD_SIGMOID_F32: compare out with out: relative error {{.*}} ok
func.func @moe_route_grad_sigmoid_f32(%logits: tensor<4x8xf32> {ds.name = "logits"}, %idx: tensor<4x2xi32> {ds.name = "idx"}, %dw: tensor<4x2xf32> {ds.name = "dw"}) -> (tensor<4x8xf32> {ds.name = "out"}) {
  %out = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.0 : (tensor<4x8xf32>, tensor<4x2xi32>, tensor<4x2xf32>) -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// ds.moe_ffn_grad: gradients of the input, the routing weights and the three
// expert weight stacks. Token 2 chooses expert 2 twice (its contributions add
// up), expert 3 is never chosen (zero gradient).
// RUN: ds-interp %s --entry=moe_ffn_grad_f64 --inputs=%S/Inputs/moe_ffn_grad_f64.safetensors --compare=%S/Inputs/moe_ffn_grad_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_FFN_GRAD_F64
// MOE_FFN_GRAD_F64: compare dx with dx: relative error {{.*}} ok
// MOE_FFN_GRAD_F64: compare dw with dw: relative error {{.*}} ok
// MOE_FFN_GRAD_F64: compare dgate with dgate: relative error {{.*}} ok
// MOE_FFN_GRAD_F64: compare dup with dup: relative error {{.*}} ok
// MOE_FFN_GRAD_F64: compare ddown with ddown: relative error {{.*}} ok
func.func @moe_ffn_grad_f64(%x: tensor<4x5xf64> {ds.name = "x"}, %w: tensor<4x2xf64> {ds.name = "w"}, %idx: tensor<4x2xi32> {ds.name = "idx"}, %gate: tensor<4x3x5xf64> {ds.name = "gate"}, %up: tensor<4x3x5xf64> {ds.name = "up"}, %down: tensor<4x5x3xf64> {ds.name = "down"}, %dy: tensor<4x5xf64> {ds.name = "dy"}) -> (tensor<4x5xf64> {ds.name = "dx"}, tensor<4x2xf64> {ds.name = "dw"}, tensor<4x3x5xf64> {ds.name = "dgate"}, tensor<4x3x5xf64> {ds.name = "dup"}, tensor<4x5x3xf64> {ds.name = "ddown"}) {
  %dx, %dw, %dgate, %dup, %ddown = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<4x5xf64>, tensor<4x2xf64>, tensor<4x2xi32>, tensor<4x3x5xf64>, tensor<4x3x5xf64>, tensor<4x5x3xf64>, tensor<4x5xf64>) -> (tensor<4x5xf64>, tensor<4x2xf64>, tensor<4x3x5xf64>, tensor<4x3x5xf64>, tensor<4x5x3xf64>)
  return %dx, %dw, %dgate, %dup, %ddown : tensor<4x5xf64>, tensor<4x2xf64>, tensor<4x3x5xf64>, tensor<4x3x5xf64>, tensor<4x5x3xf64>
}

// f32 with i64 indices; token 1 chooses expert 1 twice.
// RUN: ds-interp %s --entry=moe_ffn_grad_f32 --inputs=%S/Inputs/moe_ffn_grad_f32.safetensors --compare=%S/Inputs/moe_ffn_grad_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=MOE_FFN_GRAD_F32
// MOE_FFN_GRAD_F32: compare dx with dx: relative error {{.*}} ok
// MOE_FFN_GRAD_F32: compare dw with dw: relative error {{.*}} ok
// MOE_FFN_GRAD_F32: compare dgate with dgate: relative error {{.*}} ok
// MOE_FFN_GRAD_F32: compare dup with dup: relative error {{.*}} ok
// MOE_FFN_GRAD_F32: compare ddown with ddown: relative error {{.*}} ok
func.func @moe_ffn_grad_f32(%x: tensor<3x4xf32> {ds.name = "x"}, %w: tensor<3x3xf32> {ds.name = "w"}, %idx: tensor<3x3xi64> {ds.name = "idx"}, %gate: tensor<3x6x4xf32> {ds.name = "gate"}, %up: tensor<3x6x4xf32> {ds.name = "up"}, %down: tensor<3x4x6xf32> {ds.name = "down"}, %dy: tensor<3x4xf32> {ds.name = "dy"}) -> (tensor<3x4xf32> {ds.name = "dx"}, tensor<3x3xf32> {ds.name = "dw"}, tensor<3x6x4xf32> {ds.name = "dgate"}, tensor<3x6x4xf32> {ds.name = "dup"}, tensor<3x4x6xf32> {ds.name = "ddown"}) {
  %dx, %dw, %dgate, %dup, %ddown = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<3x4xf32>, tensor<3x3xf32>, tensor<3x3xi64>, tensor<3x6x4xf32>, tensor<3x6x4xf32>, tensor<3x4x6xf32>, tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x3xf32>, tensor<3x6x4xf32>, tensor<3x6x4xf32>, tensor<3x4x6xf32>)
  return %dx, %dw, %dgate, %dup, %ddown : tensor<3x4xf32>, tensor<3x3xf32>, tensor<3x6x4xf32>, tensor<3x6x4xf32>, tensor<3x4x6xf32>
}

// key_length = 4 of 6 cache slots, two causal queries over one kv head: the
// empty slots get zero dk and dv.
// RUN: ds-interp %s --entry=attention_grad_key_length_f64 --inputs=%S/Inputs/attention_grad_key_length_f64.safetensors --compare=%S/Inputs/attention_grad_key_length_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GRAD_KEY_LENGTH_F64
// ATTENTION_GRAD_KEY_LENGTH_F64: compare dq with dq: relative error {{.*}} ok
// ATTENTION_GRAD_KEY_LENGTH_F64: compare dk with dk: relative error {{.*}} ok
// ATTENTION_GRAD_KEY_LENGTH_F64: compare dv with dv: relative error {{.*}} ok
func.func @attention_grad_key_length_f64(%q: tensor<2x2x2x3xf64> {ds.name = "q"}, %k: tensor<2x6x1x3xf64> {ds.name = "k"}, %v: tensor<2x6x1x3xf64> {ds.name = "v"}, %do: tensor<2x2x2x3xf64> {ds.name = "do"}, %len: tensor<i32> {ds.name = "len"}) -> (tensor<2x2x2x3xf64> {ds.name = "dq"}, tensor<2x6x1x3xf64> {ds.name = "dk"}, tensor<2x6x1x3xf64> {ds.name = "dv"}) {
  %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do key_length %len causal : (tensor<2x2x2x3xf64>, tensor<2x6x1x3xf64>, tensor<2x6x1x3xf64>, tensor<2x2x2x3xf64>, tensor<i32>) -> (tensor<2x2x2x3xf64>, tensor<2x6x1x3xf64>, tensor<2x6x1x3xf64>)
  return %dq, %dk, %dv : tensor<2x2x2x3xf64>, tensor<2x6x1x3xf64>, tensor<2x6x1x3xf64>
}
