#!/usr/bin/env python3
"""PyTorch port of the two JAX reference models of test/models/golden/make_golden.py.

  gpt2_forward(cfg, W, tokens)   tiny-dense, GPT-2 (HF GPT2LMHeadModel semantics)
  dsv3_forward(cfg, W, tokens)   tiny-moe, DeepSeek-V3 (MLA + YaRN RoPE, sigmoid /
                                 noaux_tc group-limited top-k MoE, shared experts)
  cross_entropy(logits, targets) mean over targets != -100 of lse - logit[target]

Same signatures, same weight-dict keys (Hugging Face names and layouts: GPT-2
Conv1D weights are [in, out], nn.Linear weights are [out, in]) and the same
(logits, info) return value as the JAX functions, so
make_golden.gpt2_weights(cfg, seed).w / dsv3_weights(cfg, seed).w can be used
directly (see to_torch_weights: BF16 numpy -> f32 torch tensors).

Written as a PyTorch user would: F.layer_norm, F.gelu(approximate="tanh")
(== gelu_new), F.rms_norm, F.scaled_dot_product_attention (attn_impl="sdpa",
the default; attn_impl="math" is the explicit causal_softmax form of the JAX
code), and MoE routed experts run as a loop over experts that gathers only
the (token, slot) pairs routed to each expert (nonzero / index_select), runs
that expert's SwiGLU on them and scatters back with index_add_ (the
Mixtral / DeepSeek moe_infer pattern) -- no dense "every expert on every
token" shortcut.  The JAX reference gathers each token's K expert weight
matrices instead; both compute sum_k w_k * expert_{idx_k}(x).

Training step (make_step, TrainStep): DS's step as bench/common.py defines
it, f32: forward, mean cross-entropy, loss.backward(),
torch.nn.utils.clip_grad_norm_(max_norm=1.0), torch.optim.AdamW(lr=1e-3,
betas=(0.9, 0.95), eps=1e-8) with two parameter groups (weight_decay 0.1, and
0 for names containing norm, bias, embed, wte, wpe or ln_), and for noaux_tc
MoE the e_score_correction_bias update b += 1e-3 sign(mean load - load) from
the forward's per-expert load (the biases get no gradient: they only move
the discrete top-k choice; they are not given to AdamW).
optimizer_impl="foreach" or "fused" picks AdamW's implementation.
compile="model+optimizer" puts forward + loss (and with it, by AOTAutograd,
the backward) and the clipping + AdamW + bias update each under
torch.compile; compile="compiled-autograd" compiles the whole step as one
function with compiled autograd.  bench/jax_models.py is the same step in
JAX; bench/torch_check.py checks this module against JAX and times the ways
of compiling the step.
"""

import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN_DIR = os.path.join(ROOT, "test", "models", "golden")
sys.path.insert(0, os.path.join(ROOT, "bench"))

import common  # noqa: E402  (after the path set-up)
IGNORE_INDEX = -100

# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------


def to_torch_weights(weights, dtype=torch.float32, device="cpu"):
    """dict name -> numpy array (BF16 / f32 / f64) or tensor  ->  dict of f32 tensors."""
    out = {}
    for k, v in weights.items():
        if isinstance(v, torch.Tensor):
            t = v.detach().to(device=device, dtype=dtype)
        else:
            t = torch.from_numpy(np.ascontiguousarray(np.asarray(v, dtype=np.float32)))
            t = t.to(device=device, dtype=dtype)
        out[k] = t.contiguous()
    return out


def cross_entropy(logits, targets):
    """mean over non-ignored positions (targets != -100) of logsumexp - logit[target]."""
    V = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1).long(),
                           ignore_index=IGNORE_INDEX, reduction="mean")


def causal_softmax(scores):
    """scores [..., Tq, Tk]; softmax over keys with a causal mask."""
    T = scores.shape[-1]
    mask = torch.ones(T, T, dtype=torch.bool, device=scores.device).tril()
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def causal_attention(q, k, v, scale, attn_impl="sdpa"):
    """q, k [B,H,T,dk], v [B,H,T,dv] -> [B,H,T,dv]; softmax(q k^T * scale, causal) v."""
    if attn_impl == "sdpa":
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    if attn_impl == "math":
        return causal_softmax((q @ k.transpose(-1, -2)) * scale) @ v
    raise ValueError(f"attn_impl must be 'sdpa' or 'math', not {attn_impl!r}")


# --------------------------------------------------------------------------
# Model 1: GPT-2 (tiny-dense)
# --------------------------------------------------------------------------


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_new(x):
    # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    return F.gelu(x, approximate="tanh")


def gpt2_block(cfg, W, i, h, attn_impl="sdpa"):
    B, T, D = h.shape
    H = cfg["n_head"]
    hd = D // H
    eps = cfg["layer_norm_epsilon"]
    p = f"transformer.h.{i}."
    x = layer_norm(h, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
    qkv = torch.addmm(W[p + "attn.c_attn.bias"], x.reshape(B * T, D),
                      W[p + "attn.c_attn.weight"])
    q, k, v = (t.reshape(B, T, H, hd).transpose(1, 2) for t in qkv.split(D, dim=-1))
    a = causal_attention(q, k, v, 1.0 / math.sqrt(hd), attn_impl)   # [B,H,T,hd]
    a = a.transpose(1, 2).reshape(B * T, D)
    h = h + torch.addmm(W[p + "attn.c_proj.bias"], a,
                        W[p + "attn.c_proj.weight"]).reshape(B, T, D)
    x = layer_norm(h, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps).reshape(B * T, D)
    m = gelu_new(torch.addmm(W[p + "mlp.c_fc.bias"], x, W[p + "mlp.c_fc.weight"]))
    return h + torch.addmm(W[p + "mlp.c_proj.bias"], m,
                           W[p + "mlp.c_proj.weight"]).reshape(B, T, D)


def run_layer(block, h, *args, checkpoint=False):
    """block(h, *args), or under torch.utils.checkpoint (non-reentrant):
    only h is kept, the block runs again in the backward pass."""
    if checkpoint:
        return torch.utils.checkpoint.checkpoint(block, h, *args, use_reentrant=False)
    return block(h, *args)


def gpt2_forward(cfg, W, tokens, attn_impl="sdpa", checkpoint=False):
    B, T = tokens.shape
    eps = cfg["layer_norm_epsilon"]
    pos = torch.arange(T, device=tokens.device)
    h = F.embedding(tokens, W["transformer.wte.weight"]) + \
        F.embedding(pos, W["transformer.wpe.weight"])[None]
    for i in range(cfg["n_layer"]):
        h = run_layer(lambda h, i=i: gpt2_block(cfg, W, i, h, attn_impl), h,
                      checkpoint=checkpoint)
    h = layer_norm(h, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)
    return F.linear(h, W["transformer.wte.weight"]), {}      # tied lm_head


# --------------------------------------------------------------------------
# Model 2: DeepSeek-V3 (tiny-moe)
# --------------------------------------------------------------------------


def dsv3_is_moe_layer(cfg, i):
    return (cfg["n_routed_experts"] is not None
            and i >= cfg["first_k_dense_replace"]
            and i % cfg["moe_layer_freq"] == 0)


def rms_norm(x, w, eps):
    return F.rms_norm(x, (x.shape[-1],), w, eps)


def linear(x, w):  # nn.Linear, weight [out, in]
    return F.linear(x, w)


def silu(x):
    return F.silu(x)


def yarn_get_mscale(scale=1.0, mscale=1.0):
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def yarn_find_correction_dim(num_rot, dim, base, max_pos):
    return (dim * math.log(max_pos / (num_rot * 2 * math.pi))) / (2 * math.log(base))


def yarn_find_correction_range(low_rot, high_rot, dim, base, max_pos):
    low = math.floor(yarn_find_correction_dim(low_rot, dim, base, max_pos))
    high = math.ceil(yarn_find_correction_dim(high_rot, dim, base, max_pos))
    return max(low, 0), min(high, dim - 1)


def yarn_cos_sin(cfg, T, dtype, device="cpu"):
    """DeepseekV3YarnRotaryEmbedding cos/sin tables for positions 0..T-1, [T, rope_dim]."""
    rs = cfg["rope_scaling"]
    dim = cfg["qk_rope_head_dim"]
    base = float(cfg["rope_theta"])
    factor = rs["factor"]
    expo = torch.arange(0, dim, 2, device=device).to(dtype) / dim
    freq_extra = 1.0 / (base ** expo)
    freq_inter = 1.0 / (factor * base ** expo)
    low, high = yarn_find_correction_range(rs["beta_fast"], rs["beta_slow"], dim, base,
                                           rs["original_max_position_embeddings"])
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, device=device).to(dtype) - low) / (high - low)).clamp(0, 1)
    inv_freq_mask = 1.0 - ramp
    inv_freq = freq_inter * (1 - inv_freq_mask) + freq_extra * inv_freq_mask
    t = torch.arange(T, device=device).to(dtype)
    freqs = torch.outer(t, inv_freq)
    _mscale = float(yarn_get_mscale(factor, rs.get("mscale", 1))
                    / yarn_get_mscale(factor, rs.get("mscale_all_dim", 0)))
    emb = torch.cat([freqs, freqs], dim=-1)                     # [T, dim]
    return emb.cos() * _mscale, emb.sin() * _mscale


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat([-x[..., d:], x[..., :d]], dim=-1)


def apply_rope_deinterleave(x, cos, sin):
    """x [B,h,T,d]; HF DeepSeek: view (d/2, 2), transpose, reshape, then rotate."""
    b, h, s, d = x.shape
    x = x.reshape(b, h, s, d // 2, 2).transpose(3, 4).reshape(b, h, s, d)
    return x * cos + rotate_half(x) * sin


def dsv3_qkv(cfg, W, a, x, cos, sin):
    """MLA's queries, keys and values for x [B,T,D] (cos, sin for its T
    positions): q, k [B,H,T,nope+rope], v [B,H,T,vd], and the softmax scale.
    Hugging Face's decoding caches these k and v."""
    B, T, _ = x.shape
    H = cfg["num_attention_heads"]
    nope, rope, vd = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    kvl, eps = cfg["kv_lora_rank"], cfg["rms_norm_eps"]
    qhd = nope + rope
    q = linear(rms_norm(linear(x, W[a + "q_a_proj.weight"]),
                        W[a + "q_a_layernorm.weight"], eps), W[a + "q_b_proj.weight"])
    q = q.reshape(B, T, H, qhd).transpose(1, 2)                 # [B,H,T,qhd]
    q_nope, q_pe = q.split([nope, rope], dim=-1)
    ckv = linear(x, W[a + "kv_a_proj_with_mqa.weight"])         # [B,T,kvl+rope]
    ckv, k_pe = ckv.split([kvl, rope], dim=-1)
    k_pe = k_pe.reshape(B, T, 1, rope).transpose(1, 2)          # [B,1,T,rope]
    kv = linear(rms_norm(ckv, W[a + "kv_a_layernorm.weight"], eps), W[a + "kv_b_proj.weight"])
    kv = kv.reshape(B, T, H, nope + vd).transpose(1, 2)         # [B,H,T,nope+vd]
    k_nope, v = kv.split([nope, vd], dim=-1)
    q_pe = apply_rope_deinterleave(q_pe, cos, sin)
    k_pe = apply_rope_deinterleave(k_pe, cos, sin)
    qs = torch.cat([q_nope, q_pe], dim=-1)
    ks = torch.cat([k_nope, k_pe.expand(B, H, T, rope)], dim=-1)
    rs = cfg["rope_scaling"]
    scale = qhd ** -0.5
    if rs is not None and rs.get("mscale_all_dim", 0):
        m = yarn_get_mscale(rs["factor"], rs["mscale_all_dim"])
        scale = scale * m * m
    return qs, ks, v, scale


def dsv3_attention(cfg, W, a, x, cos, sin, attn_impl="sdpa"):
    B, T, _ = x.shape
    qs, ks, v, scale = dsv3_qkv(cfg, W, a, x, cos, sin)
    o = causal_attention(qs, ks, v, scale, attn_impl)           # [B,H,T,vd]
    o = o.transpose(1, 2).reshape(B, T, -1)
    return linear(o, W[a + "o_proj.weight"])


def swiglu_mlp(x, wg, wu, wd):
    return linear(silu(linear(x, wg)) * linear(x, wu), wd)


def dsv3_route(cfg, W, m, xf):
    """MoEGate, sigmoid scoring, noaux_tc group-limited top-k.

    xf [N,D] -> topk_idx [N,K] (int64), topk_w [N,K] (differentiable w.r.t. the
    gate weight), scores [N,E], group_idx [N,topk_group].  The correction bias
    only enters the selection, never the weights.
    """
    N = xf.shape[0]
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    G, TG = cfg["n_group"], cfg["topk_group"]
    scores = torch.sigmoid(linear(xf, W[m + "gate.weight"]))   # [N,E]
    with torch.no_grad():
        sfc = scores + W[m + "gate.e_score_correction_bias"][None, :]
        group_scores = sfc.reshape(N, G, E // G).topk(2, dim=-1).values.sum(-1)   # [N,G]
        group_idx = group_scores.topk(TG, dim=-1).indices                        # [N,TG]
        group_mask = torch.zeros(N, G, dtype=torch.bool, device=xf.device)
        group_mask.scatter_(1, group_idx, True)
        score_mask = group_mask.repeat_interleave(E // G, dim=1)                 # [N,E]
        tmp = sfc.masked_fill(~score_mask, 0.0)
        topk_idx = tmp.topk(K, dim=-1).indices                                   # [N,K]
    topk_w = scores.gather(1, topk_idx)
    if K > 1 and cfg["norm_topk_prob"]:
        topk_w = topk_w / (topk_w.sum(dim=-1, keepdim=True) + 1e-20)
    topk_w = topk_w * cfg["routed_scaling_factor"]
    return topk_idx, topk_w, scores, group_idx


def experts_loop(W, m, xf, topk_idx, topk_w, E, K):
    """Hugging Face's "eager" experts (and Mixtral / DeepSeek moe_infer): for
    each expert, gather the (token, slot) pairs sent to it, run its SwiGLU on
    those tokens only, scale, and scatter-add back."""
    flat_idx = topk_idx.reshape(-1)                                # [N*K]
    flat_w = topk_w.reshape(-1)
    y = torch.zeros_like(xf)
    for e in range(E):
        pair = (flat_idx == e).nonzero().squeeze(1)                # [n_e] into N*K
        tok = pair // K                                            # [n_e] into N
        xe = xf.index_select(0, tok)
        ye = swiglu_mlp(xe, W[m + f"experts.{e}.gate_proj.weight"],
                        W[m + f"experts.{e}.up_proj.weight"],
                        W[m + f"experts.{e}.down_proj.weight"])
        y = y.index_add(0, tok, ye * flat_w.index_select(0, pair)[:, None])
    return y


def experts_grouped_mm(W, m, xf, topk_idx, topk_w, E, K):
    """Hugging Face Transformers 5's default experts implementation,
    "grouped_mm" (transformers/integrations/moe.py grouped_mm_experts_forward):
    the (token, slot) pairs sorted by expert, two F.grouped_mm over the
    stacked weights (gate_up_proj [E, 2I, D], down_proj [E, D, I]), weighted,
    unsorted and summed over the K slots."""
    N, D = xf.shape
    ids, perm = torch.sort(topk_idx.reshape(-1))
    xs = xf[perm // K]
    counts = torch.histc(ids.float(), bins=E, min=0, max=E - 1)
    offsets = torch.cumsum(counts, dim=0, dtype=torch.int32)
    h = F.grouped_mm(xs, W[m + "experts.gate_up_proj"].transpose(-2, -1), offs=offsets)
    gate, up = h.chunk(2, dim=-1)
    o = F.grouped_mm(silu(gate) * up, W[m + "experts.down_proj"].transpose(-2, -1),
                     offs=offsets)
    o = o * topk_w.reshape(-1)[perm][:, None]
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(perm.numel(), device=perm.device)
    return o[inverse].view(N, K, D).sum(dim=1)


def stack_experts(cfg, W):
    """Per-expert HF tensors -> Transformers 5's stacked DeepseekV3Experts
    layout (<mlp>.experts.gate_up_proj [E, 2I, D], .down_proj [E, D, I]),
    which dsv3_moe runs with experts_grouped_mm. numpy or torch in, same out."""
    cat = np.concatenate if not isinstance(next(iter(W.values())), torch.Tensor) else torch.cat
    stack = np.stack if cat is np.concatenate else torch.stack
    out = dict(W)
    for i in range(cfg["num_hidden_layers"]):
        if not dsv3_is_moe_layer(cfg, i):
            continue
        m = f"model.layers.{i}.mlp."
        E = cfg["n_routed_experts"]
        out[m + "experts.gate_up_proj"] = stack(
            [cat([out.pop(m + f"experts.{e}.gate_proj.weight"),
                  out.pop(m + f"experts.{e}.up_proj.weight")]) for e in range(E)])
        out[m + "experts.down_proj"] = stack(
            [out.pop(m + f"experts.{e}.down_proj.weight") for e in range(E)])
    return out


def unstack_experts(W):
    """The inverse of stack_experts (numpy or torch)."""
    out = {}
    for k, v in W.items():
        if k.endswith("experts.gate_up_proj"):
            m, I = k[:-len("gate_up_proj")], v.shape[1] // 2
            for e in range(v.shape[0]):
                out[f"{m}{e}.gate_proj.weight"] = v[e, :I]
                out[f"{m}{e}.up_proj.weight"] = v[e, I:]
        elif k.endswith("experts.down_proj"):
            for e in range(v.shape[0]):
                out[f"{k[:-len('down_proj')]}{e}.down_proj.weight"] = v[e]
        else:
            out[k] = v
    return out


MOE_IMPLS = ("loop", "grouped_mm")


def dsv3_moe(cfg, W, m, x):
    """DeepseekV3MoE.  Returns (y, routing info).  The routed experts run as
    experts_grouped_mm when W holds them stacked (stack_experts), else as
    experts_loop."""
    B, T, D = x.shape
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    N = B * T
    xf = x.reshape(N, D)
    topk_idx, topk_w, scores, group_idx = dsv3_route(cfg, W, m, xf)
    experts = experts_grouped_mm if m + "experts.gate_up_proj" in W else experts_loop
    y = experts(W, m, xf, topk_idx, topk_w, E, K)
    # shared experts
    y = y + swiglu_mlp(xf, W[m + "shared_experts.gate_proj.weight"],
                       W[m + "shared_experts.up_proj.weight"],
                       W[m + "shared_experts.down_proj.weight"])
    info = {"topk_idx": topk_idx, "scores": scores,
            "experts": topk_idx.sort(dim=1).values,
            "groups": group_idx.sort(dim=1).values}
    return y.reshape(B, T, D), info


def dsv3_block(cfg, W, i, h, cos, sin, routing, attn_impl="sdpa"):
    eps = cfg["rms_norm_eps"]
    p = f"model.layers.{i}."
    h = h + dsv3_attention(cfg, W, p + "self_attn.",
                           rms_norm(h, W[p + "input_layernorm.weight"], eps), cos, sin,
                           attn_impl)
    x = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
    m = p + "mlp."
    if dsv3_is_moe_layer(cfg, i):
        y, routing[i] = dsv3_moe(cfg, W, m, x)
    else:
        y = swiglu_mlp(x, W[m + "gate_proj.weight"], W[m + "up_proj.weight"],
                       W[m + "down_proj.weight"])
    return h + y


def dsv3_forward(cfg, W, tokens, attn_impl="sdpa", checkpoint=False):
    B, T = tokens.shape
    eps = cfg["rms_norm_eps"]
    emb = W["model.embed_tokens.weight"]
    cos, sin = yarn_cos_sin(cfg, T, emb.dtype, emb.device)
    h = F.embedding(tokens, emb)
    routing = {}
    for i in range(cfg["num_hidden_layers"]):
        h = run_layer(lambda h, i=i: dsv3_block(cfg, W, i, h, cos, sin, routing, attn_impl),
                      h, checkpoint=checkpoint)
    h = rms_norm(h, W["model.norm.weight"], eps)
    return linear(h, W["lm_head.weight"]), routing


# --------------------------------------------------------------------------
# training step
# --------------------------------------------------------------------------

FORWARDS = {"gpt2": gpt2_forward, "tiny-dense": gpt2_forward,
            "dsv3": dsv3_forward, "deepseek_v3": dsv3_forward, "tiny-moe": dsv3_forward}
ADAMW = {"lr": common.LR, "betas": common.BETAS, "eps": common.EPS,
         "weight_decay": common.WEIGHT_DECAY}
NO_GRAD_SUFFIXES = (common.BALANCED_SUFFIX,)
# How the whole step is compiled (compile=...):
#   "model+optimizer"    torch.compile(forward + loss) -- AOTAutograd compiles
#                        its backward too -- and torch.compile(clipping +
#                        AdamW step + MoE bias update); zero_grad and the
#                        backward() call itself stay in Python
#   "compiled-autograd"  one torch.compile'd function doing zero_grad,
#                        forward, loss, backward() (traced by compiled
#                        autograd), clipping, AdamW and the bias update
COMPILE_STRATEGIES = ("model+optimizer", "compiled-autograd")


def resolve_forward(model_name_or_forward):
    if callable(model_name_or_forward):
        return model_name_or_forward
    try:
        return FORWARDS[model_name_or_forward]
    except KeyError:
        raise ValueError(f"unknown model {model_name_or_forward!r}; "
                         f"one of {sorted(FORWARDS)} or a forward(cfg, W, tokens)") from None


def expert_load(routing, n_experts):
    """[MoE layers, E] f32: how many (token, k) choices each expert got, per
    MoE layer in layer order (the load DS's bias update balances)."""
    return torch.stack([F.one_hot(routing[i]["topk_idx"].reshape(-1), n_experts)
                        .sum(0).to(torch.float32) for i in sorted(routing)])


class CompileError(RuntimeError):
    """torch.compile could not build the train step."""


class TrainStep:
    """One full f32 train step, DS's (bench/common.py): forward, mean
    cross-entropy, backward, global-norm clipping at 1.0, AdamW with
    bias correction and decoupled weight decay on every parameter but the
    norms, biases and embeddings (two parameter groups), and for noaux_tc
    MoE the e_score_correction_bias update by sign(mean load - load).

    step(tokens, targets) -> loss (detached 0-d tensor; call .item() to sync).
    Attributes: params (dict name -> tensor, trainable ones have
    requires_grad), optimizer, biases (the balanced MoE biases, in layer
    order), compile_seconds (of the first call, when compiled).

    checkpoint: run each layer under torch.utils.checkpoint (non-reentrant):
    only its input is kept, and it runs again in the backward pass.
    compile: False (eager) or one of COMPILE_STRATEGIES; compile_kwargs go
    to every torch.compile call (mode=..., dynamic=...). optimizer_impl:
    "foreach" or "fused" (torch.optim.AdamW's implementations; same math).
    moe_impl: "loop" (experts_loop, per-expert tensors) or "grouped_mm"
    (experts_grouped_mm, the experts stacked as in Transformers 5).
    """

    def __init__(self, model_name_or_forward, cfg, weights, compile=False, device="cpu",
                 attn_impl="sdpa", compile_kwargs=None, optimizer_impl="foreach",
                 moe_impl="loop", checkpoint=False, **adamw):
        forward = resolve_forward(model_name_or_forward)
        self.cfg = cfg
        self.device = torch.device(device)
        if moe_impl not in MOE_IMPLS:
            raise ValueError(f"moe_impl must be one of {MOE_IMPLS}")
        if moe_impl == "grouped_mm" and forward is dsv3_forward:
            weights = stack_experts(cfg, weights)
        self.params = to_torch_weights(weights, torch.float32, self.device)
        decay, no_decay = [], []
        for k, v in self.params.items():
            if not k.endswith(NO_GRAD_SUFFIXES):
                v.requires_grad_(True)
                (decay if common.decays(k) else no_decay).append(v)
        self.trainable = decay + no_decay
        self.biases = [self.params[f"model.layers.{i}.mlp.gate.{common.BALANCED_SUFFIX}"]
                       for i in range(cfg.get("num_hidden_layers", 0))
                       if forward is dsv3_forward and dsv3_is_moe_layer(cfg, i)]
        hp = dict(ADAMW, **adamw)
        wd = hp.pop("weight_decay")
        impl = {"foreach": {"foreach": True}, "fused": {"fused": True}}[optimizer_impl]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
            **hp, **impl)
        n_experts = cfg.get("n_routed_experts")

        def loss_fn(W, tokens, targets):
            logits, routing = forward(cfg, W, tokens, attn_impl=attn_impl,
                                      **({"checkpoint": True} if checkpoint else {}))
            loss = cross_entropy(logits, targets)
            return loss, (expert_load(routing, n_experts) if routing else None)

        def update(loads):
            torch.nn.utils.clip_grad_norm_(self.trainable, common.CLIP_NORM)
            self.optimizer.step()
            if loads is not None:
                with torch.no_grad():
                    for b, load in zip(self.biases, loads.unbind(0)):
                        b.add_(torch.sign(load.mean() - load), alpha=common.BIAS_UPDATE_SPEED)

        def step(tokens, targets):
            self.optimizer.zero_grad(set_to_none=True)
            loss, loads = self.loss_fn(self.params, tokens, targets)
            loss.backward()
            self.update(loads)
            return loss.detach()

        self.compiled = compile
        self.compile_seconds = None
        self.loss_fn, self.update, self.step = loss_fn, update, step
        if compile:
            if compile not in COMPILE_STRATEGIES:
                raise ValueError(f"compile must be False or one of {COMPILE_STRATEGIES}")
            import torch._dynamo as dynamo
            if forward is dsv3_forward:
                # per-expert token counts (nonzero) are data-dependent sizes;
                # capture them in the graph instead of breaking it 16x per layer.
                dynamo.config.capture_dynamic_output_shape_ops = True
            kw = dict(compile_kwargs or {})
            if compile == "model+optimizer":
                self.loss_fn = torch.compile(loss_fn, **kw)
                self.update = torch.compile(update, **kw)
            else:
                dynamo.config.compiled_autograd = True
                self.step = torch.compile(step, **kw)
        self._first = True

    def hf_params(self):
        """The parameters as numpy arrays under their Hugging Face names (one
        tensor per expert)."""
        return unstack_experts({k: v.detach().numpy().copy() for k, v in self.params.items()})

    def _tensor(self, x):
        if isinstance(x, torch.Tensor):
            return x.to(device=self.device, dtype=torch.long)
        return torch.as_tensor(np.asarray(x), device=self.device).long()

    def __call__(self, tokens, targets):
        tokens, targets = self._tensor(tokens), self._tensor(targets)
        if self.compiled and self._first:
            start = time.perf_counter()
            try:
                loss = self.step(tokens, targets)
            except Exception as error:  # noqa: BLE001 - rethrown with the reason
                raise CompileError(f"torch.compile ({self.compiled}) of the train step "
                                   f"failed: {type(error).__name__}: {error}") from error
            self.compile_seconds = time.perf_counter() - start
            self._first = False
            return loss
        self._first = False
        return self.step(tokens, targets)


def make_step(model_name_or_forward, cfg, weights, compile=False, device="cpu",
              attn_impl="sdpa", **kwargs):
    """Callable step(tokens, targets) -> loss doing one PyTorch train step
    (TrainStep: DS's step).

    model_name_or_forward: "tiny-dense"/"gpt2", "tiny-moe"/"dsv3", or a
    forward(cfg, W, tokens, attn_impl=...) -> (logits, routing).  weights: dict
    of HF-named numpy arrays or tensors; copied to f32 tensors.  compile:
    False or one of COMPILE_STRATEGIES; the first call compiles, and raises
    CompileError with the reason if that fails.  Other keyword arguments:
    compile_kwargs= (to torch.compile), optimizer_impl=, or AdamW's lr,
    betas, eps, weight_decay.
    """
    return TrainStep(model_name_or_forward, cfg, weights, compile=compile, device=device,
                     attn_impl=attn_impl, **kwargs)


def make_compiled_step(model_name_or_forward, cfg, weights, device="cpu", attn_impl="sdpa",
                       **kwargs):
    """make_step(..., compile="model+optimizer")."""
    return make_step(model_name_or_forward, cfg, weights, compile="model+optimizer",
                     device=device, attn_impl=attn_impl, **kwargs)
