//===- DsModelOps.td - matmul, norms, rotary, attention, MoE, loss -*- td -*-===//

#ifndef DS_MODEL_OPS_TD
#define DS_MODEL_OPS_TD

include "dialects/ds/DsBase.td"

def Ds_MatmulOp : Ds_Op<"matmul", [Ds_HasVjp]> {
  let summary = "Batched matrix product";
  let description = [{
    Multiplies the last two dimensions of `lhs` (`M×K`, or `K×M` with
    `transpose_lhs`) and `rhs` (`K×N`, or `N×K` with `transpose_rhs`). The
    leading (batch) dimensions broadcast like NumPy's, so `x @ W` with a rank-3
    `x` and a rank-2 `W` needs no broadcast op. Both operands have rank ≥ 2.

    Both operands are floats of the same type, or both are fp8 (E4M3FN and
    E5M2 may mix). Products are accumulated in `f32` (`f64` for `f64`
    operands) and rounded once to the result type, which is the operands' type
    or `f32` (low-precision inputs with a full-precision result).

    ```mlir
    %y = ds.matmul %x, %w transpose_rhs : (tensor<2x16x64xbf16>, tensor<256x64xbf16>) -> tensor<2x16x256xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$lhs, Ds_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)?
    (`transpose_rhs` $transpose_rhs^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ds_RmsNormOp : Ds_InferredOp<"rms_norm", [Ds_HasVjp]> {
  let summary = "Root-mean-square normalization over the last axis";
  let description = [{
    `y = x / sqrt(mean(x², last axis) + epsilon) · weight`, where `weight` is a
    rank-1 tensor of the last dimension's size and the input's element type.
    Statistics are computed in at least `f32`.

    ```mlir
    %y = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<2x16x64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, Ds_FloatTensor:$weight,
                       F64Attr:$epsilon);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_LayerNormOp : Ds_InferredOp<"layer_norm", [Ds_HasVjp]> {
  let summary = "Layer normalization over the last axis";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) · weight + bias` over the last axis,
    with the biased variance. `weight` and the optional `bias` are rank-1
    tensors of the last dimension's size and the input's element type.

    ```mlir
    %y = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, Ds_FloatTensor:$weight,
                       Optional<Ds_FloatTensor>:$bias, F64Attr:$epsilon);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `epsilon` `=` $epsilon attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_RopeOp : Ds_InferredOp<"rope", [Ds_HasVjp]> {
  let summary = "Rotary position embedding on a slice of the head dimension";
  let description = [{
    `input` has shape `[…, T, H, D]` (rank ≥ 3: sequence, heads, head
    dimension); `positions` is an integer tensor of shape `[…, T]` (the input's
    leading dimensions) or `[T]` (shared by the batch). Channels
    `[offset, offset + dim)` of the last axis are rotated, the others pass
    through unchanged. `dim` is even and positive.

    With `f_i = theta^(-2i/dim)` (scaled by `yarn` when given) and the angle
    `a = position · f_i`, each pair `(x1, x2)` becomes
    `(x1·cos a − x2·sin a, x2·cos a + x1·sin a)` (times the YaRN magnitude
    scale). `style = interleaved` pairs channels `(2i, 2i+1)` (DeepSeek's
    layout); `style = half` pairs `(i, i + dim/2)` (GPT-NeoX/Llama layout).
    With `adjoint` the op applies the transpose of that linear map instead:
    each pair is rotated by `−a` (and scaled by the same magnitude), which is
    the backward pass of the rotation.

    ```mlir
    %q_pe = ds.rope %q, %pos style = interleaved theta = 1.0e+04 offset = 128 dim = 64 : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, Ds_IndexTensor:$positions,
                       Ds_RopeStyle:$style, F64Attr:$theta,
                       I64Attr:$offset, I64Attr:$dim,
                       OptionalAttr<Ds_YarnAttr>:$yarn, UnitAttr:$adjoint);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $positions `style` `=` $style `theta` `=` $theta
    `offset` `=` $offset `dim` `=` $dim (`yarn` `=` $yarn^)?
    (`adjoint` $adjoint^)? attr-dict `:`
    functional-type(operands, results)
  }];  let extraClassDeclaration = [{
    /// The inverse frequencies f_i (i < dim/2) of the rotation, with YaRN's
    /// ramp between interpolation and extrapolation when `yarn` is given,
    /// and (through `magnitude`) its magnitude scale. The interpreter and the
    /// compiled code both use these, so they rotate by the same angles.
    std::vector<double> frequencies(double &magnitude);
  }];
}

def Ds_AttentionOp : Ds_InferredOp<"attention", [Ds_HasVjp]> {
  let summary = "Scaled dot-product attention with grouped heads";
  let description = [{
    `query`: `[B, Tq, Hq, Dqk]`; `key`: `[B, Tk, Hkv, Dqk]`; `value`:
    `[B, Tk, Hkv, Dv]`; result: `[B, Tq, Hq, Dv]`. `Hq` is a multiple of `Hkv`;
    query head `h` reads key/value head `h / (Hq / Hkv)` (grouped-query
    attention; `Hkv = Hq` is multi-head, `Hkv = 1` multi-query). The query and
    value head dimensions may differ, as multi-head latent attention needs.

    `out[b,i,h] = Σ_j softmax_j(scale · q[b,i,h] · k[b,j,g]) · v[b,j,g]`
    over the keys `j` that query `i` may see. `scale` defaults to
    `1/sqrt(Dqk)`. With `causal`, queries are aligned to the end of the keys
    (query `i` sits at position `i + Tk − Tq`) and see keys at positions up to
    their own. With `window = W` they also see only the last `W` positions
    (`pos(i) − j < W`). A query that sees no key yields zeros. Scores and
    softmax are computed in at least `f32`.

    `key_length`, a rank-0 integer tensor, says that only the first `L` keys
    hold data (a KV cache filled up to `L`): keys `j ≥ L` are invisible, and
    causal queries are aligned to the end of the valid keys instead
    (`pos(i) = i + L − Tq`). `L` is clamped to `[0, Tk]`; without it
    `L = Tk`. One decoding step is a single query against a cache of `Tk`
    slots of which `L = position + 1` are filled.

    ```mlir
    %o = ds.attention %q, %k, %v causal scale = 0.0721 : (tensor<2x16x4x192xf32>, tensor<2x16x4x192xf32>, tensor<2x16x4x128xf32>) -> tensor<2x16x4x128xf32>
    %d = ds.attention %q1, %kc, %vc key_length %len causal : (tensor<2x1x4x192xf32>, tensor<2x64x4x192xf32>, tensor<2x64x4x128xf32>, tensor<i32>) -> tensor<2x1x4x128xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$query, Ds_FloatTensor:$key,
                       Ds_FloatTensor:$value,
                       Optional<Ds_IndexTensor>:$key_length, UnitAttr:$causal,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<I64Attr>:$window);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`key_length` $key_length^)?
    (`causal` $causal^)? (`scale` `=` $scale^)?
    (`window` `=` $window^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Ds_MoeRouteOp : Ds_InferredOp<"moe_route", [Ds_HasVjp]> {
  let summary = "Chooses experts for each token (DeepSeekMoE routing)";
  let description = [{
    `logits`: `[N, E]`, router logits of `N` tokens over `E` routed experts;
    optional `bias`: `[E]`, the selection-only bias of auxiliary-loss-free load
    balancing. Results: `weights` `[N, top_k]` (the logits' element type) and
    `indices` `[N, top_k]` (`i32`), the chosen experts in descending order of
    selection score (ties broken by lower expert index).

    1. Scores `s = softmax(logits)` or `sigmoid(logits)` (`scoring`).
    2. Selection scores `c = s + bias` (`c = s` without a bias).
    3. Group limit: the experts form `n_group` consecutive groups of
       `E / n_group`. Each group is ranked by the maximum `c` in it
       (`group_score = max`, DeepSeek-V2) or the sum of its two largest
       (`top2_sum`, DeepSeek-V3); experts outside the best `topk_group` groups
       are excluded. `n_group = 1` disables the limit.
    4. The `top_k` experts with the largest `c` among those left are chosen.
    5. Weights are the unbiased scores `s` of the chosen experts; with
       `norm_topk_prob` they are divided by their sum (plus 1e-20), then
       multiplied by `routed_scaling_factor`.

    Rules: `1 ≤ top_k`, `n_group` divides `E`, `1 ≤ topk_group ≤ n_group`,
    `top_k ≤ topk_group · E / n_group`, and `top2_sum` needs at least two
    experts per group.

    ```mlir
    %w, %idx = ds.moe_route %logits, %bias scoring = sigmoid top_k = 8 n_group = 8 topk_group = 4 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x256xf32>, tensor<256xf32>) -> (tensor<32x8xf32>, tensor<32x8xi32>)
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$logits,
                       Optional<Ds_FloatTensor>:$bias,
                       Ds_ScoringFunc:$scoring, I64Attr:$top_k,
                       I64Attr:$n_group, I64Attr:$topk_group,
                       Ds_GroupScore:$group_score, UnitAttr:$norm_topk_prob,
                       F64Attr:$routed_scaling_factor);
  let results = (outs Ds_FloatTensor:$weights, Ds_IndexTensor:$indices);
  let assemblyFormat = [{
    $logits (`,` $bias^)? `scoring` `=` $scoring `top_k` `=` $top_k
    `n_group` `=` $n_group `topk_group` `=` $topk_group
    `group_score` `=` $group_score (`norm_topk_prob` $norm_topk_prob^)?
    `routed_scaling_factor` `=` $routed_scaling_factor attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_MoeFfnOp : Ds_InferredOp<"moe_ffn", [Ds_HasVjp]> {
  let summary = "Routed experts' SwiGLU feed-forward, weighted and combined";
  let description = [{
    `input`: `[N, D]` tokens; `weights`, `indices`: `[N, K]` from
    `ds.moe_route`; `gate`, `up`: `[E, I, D]`; `down`: `[E, D, I]` (the
    Hugging Face `[out, in]` layout of each expert's `gate_proj`, `up_proj` and
    `down_proj` weights, stacked over the `E` experts). For every token `n`:

    `out[n] = Σ_k weights[n,k] · down[e] · (silu(gate[e] · x[n]) ⊙ (up[e] · x[n]))`
    with `e = indices[n,k]`.

    Only the chosen experts are evaluated, so the op expresses DeepSeekMoE's
    routed experts without unrolling them; the shared experts are an ordinary
    SwiGLU block beside it. The result has the input's type. An index of -1
    marks a slot whose expert this op does not hold (under expert
    parallelism, `--ds-shard` maps the experts of other ranks to -1): it
    contributes nothing. Other indices outside `[0, E)` are a run-time
    error.

    ```mlir
    %y = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>) -> tensor<32x64xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, Ds_FloatTensor:$weights,
                       Ds_IndexTensor:$indices, Ds_FloatTensor:$gate,
                       Ds_FloatTensor:$up, Ds_FloatTensor:$down);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights `,` $indices `,` $gate `,` $up `,` $down attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_CrossEntropyOp : Ds_InferredOp<"cross_entropy", [Ds_HasVjp]> {
  let summary = "Mean cross-entropy of logits against target classes";
  let description = [{
    `logits`: `[…, V]`; `targets`: integer `[…]` (the logits' leading shape).
    `loss = mean over positions p with targets[p] ≠ ignore_index of
    (logsumexp(logits[p]) − logits[p, targets[p]])`; 0 when every position is
    ignored. The result is a rank-0 `f32` tensor (`f64` for `f64` logits).
    Targets other than `ignore_index` lie in `[0, V)`; others are a run-time
    error. `ignore_index` defaults to -100, as in PyTorch.

    ```mlir
    %loss = ds.cross_entropy %logits, %targets : (tensor<2x16x1000xf32>, tensor<2x16xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$logits, Ds_IndexTensor:$targets,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets (`ignore_index` `=` $ignore_index^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Backward passes of the model ops (built by --ds-autodiff)
//===----------------------------------------------------------------------===//

def Ds_AttentionGradOp : Ds_InferredOp<"attention_grad"> {
  let summary = "The gradient of ds.attention";
  let description = [{
    Given `query`, `key`, `value` and attributes as for `ds.attention`, and
    `grad`, the cotangent of its result (`[B, Tq, Hq, Dv]`), returns the
    gradients of the three inputs. With `P` the attention probabilities and
    `O` the output (both recomputed from the inputs, as a fused backward
    kernel does): `dV = Pᵀ·dO`, `dP = dO·Vᵀ`,
    `dS = P ⊙ (dP − rowsum(dO ⊙ O))`, `dQ = scale · dS·K`,
    `dK = scale · dSᵀ·Q`, with the grouped key/value heads summing the
    contributions of the query heads that read them. Masked positions
    (including keys at or past `key_length`) contribute nothing.
    Accumulates in at least `f32`.
    ```mlir
    %dq, %dk, %dv = ds.attention_grad %q, %k, %v, %do causal : (tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>) -> (tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>, tensor<2x16x4x32xf32>)
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$query, Ds_FloatTensor:$key,
                       Ds_FloatTensor:$value, Ds_FloatTensor:$grad,
                       Optional<Ds_IndexTensor>:$key_length,
                       UnitAttr:$causal, OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<I64Attr>:$window);
  let results = (outs Ds_FloatTensor:$query_grad, Ds_FloatTensor:$key_grad,
                      Ds_FloatTensor:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $grad (`key_length` $key_length^)?
    (`causal` $causal^)?
    (`scale` `=` $scale^)? (`window` `=` $window^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_MoeRouteGradOp : Ds_InferredOp<"moe_route_grad"> {
  let summary = "The gradient of ds.moe_route's weights with respect to the logits";
  let description = [{
    `logits` `[N, E]` and `indices` `[N, K]` as given to and returned by
    `ds.moe_route`; `grad` `[N, K]`, the cotangent of its `weights`. Returns
    the gradient with respect to `logits` (`[N, E]`). With `s` the scores
    (`scoring`), the weights are `w_k = c · s[idx_k] / Z` where
    `Z = Σ_k s[idx_k] + 1e-20` with `norm_topk_prob` (else `Z = 1`) and
    `c = routed_scaling_factor`; the selection (`indices`) is piecewise
    constant and contributes nothing, so neither does the selection bias.
    ```mlir
    %dlogits = ds.moe_route_grad %logits, %idx, %dw scoring = sigmoid norm_topk_prob routed_scaling_factor = 2.5 : (tensor<32x256xf32>, tensor<32x8xi32>, tensor<32x8xf32>) -> tensor<32x256xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$logits, Ds_IndexTensor:$indices,
                       Ds_FloatTensor:$grad, Ds_ScoringFunc:$scoring,
                       UnitAttr:$norm_topk_prob,
                       F64Attr:$routed_scaling_factor);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $indices `,` $grad `scoring` `=` $scoring
    (`norm_topk_prob` $norm_topk_prob^)?
    `routed_scaling_factor` `=` $routed_scaling_factor attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_MoeFfnGradOp : Ds_InferredOp<"moe_ffn_grad"> {
  let summary = "The gradient of ds.moe_ffn";
  let description = [{
    Operands as for `ds.moe_ffn`, plus `grad` (`[N, D]`), the cotangent of its
    result. Returns the gradients of `input`, `weights`, `gate`, `up` and
    `down`. Only the chosen experts contribute: with `g = gate[e]·x`,
    `u = up[e]·x`, `h = silu(g) ⊙ u` and `y = down[e]·h` for a token's `k`-th
    choice `e`, `dweights[n,k] = ⟨grad[n], y⟩`, and the expert's weights and
    the token receive the SwiGLU backward pass of `weights[n,k] · grad[n]`.
    A slot of index -1 (an expert held elsewhere) contributes nothing, and
    its `dweights` is 0. Accumulates in at least `f32`.
    ```mlir
    %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %x, %w, %idx, %gate, %up, %down, %dy : (tensor<32x64xf32>, tensor<32x4xf32>, tensor<32x4xi32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x4xf32>, tensor<16x32x64xf32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>)
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, Ds_FloatTensor:$weights,
                       Ds_IndexTensor:$indices, Ds_FloatTensor:$gate,
                       Ds_FloatTensor:$up, Ds_FloatTensor:$down,
                       Ds_FloatTensor:$grad);
  let results = (outs Ds_FloatTensor:$input_grad, Ds_FloatTensor:$weights_grad,
                      Ds_FloatTensor:$gate_grad, Ds_FloatTensor:$up_grad,
                      Ds_FloatTensor:$down_grad);
  let assemblyFormat = [{
    $input `,` $weights `,` $indices `,` $gate `,` $up `,` $down `,` $grad
    attr-dict `:` functional-type(operands, results)
  }];
}

#endif // DS_MODEL_OPS_TD
