#!/usr/bin/env python3
"""Golden reference data for two tiny models, computed independently in JAX.

Writes two Hugging Face-style checkpoint directories next to this script:

  tiny-dense/  GPT-2 (model_type "gpt2", HF GPT2LMHeadModel semantics)
  tiny-moe/    DeepSeek-V3 (model_type "deepseek_v3", semantics of
               deepseek-ai's modeling_deepseek.py: MLA + YaRN RoPE,
               sigmoid / noaux_tc grouped top-k MoE with shared experts)

each with
  config.json         HF config keys, spelled as HF spells them
  model.safetensors   weights under their exact HF names/layouts, stored BF16
  golden.safetensors  tokens I32[B,T], targets I32[B,T] (3 positions = -100),
                      logits_f64 F64[B,T,V], loss_f64 F64[],
                      logits_f32 F32[B,T,V], loss_f32 F32[]

The forward pass is written from scratch here in jax.numpy (no torch, no
transformers).  Weights are drawn from a seeded numpy Generator, rounded to
bfloat16, stored as BF16, and upcast exactly to f64 / f32 for compute.  The
f64 results run with jax x64 enabled and every tensor in float64; the f32
results use the same weights with every tensor in float32.
loss = mean over targets != -100 of (logsumexp(logits) - logits[target]).

Generated with: python 3, jax 0.10.2 (jaxlib, CPU backend), numpy 2.4.6,
ml_dtypes 0.6.0.  The safetensors files are written by hand (no safetensors
package): 8-byte little-endian header length, JSON header (keys sorted,
padded with spaces to a multiple of 8), raw little-endian data.

Rerun (from the repository root):

    python3 test/models/golden/make_golden.py

The output is deterministic: rerunning on the same software stack rewrites the
same bytes (weights, tokens and targets are bit-identical on any machine; the
logits may differ in the last bits on another CPU / XLA version).
"""

import hashlib
import json
import math
import os
import sys

import numpy as np
import ml_dtypes

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_default_matmul_precision", "highest")

import jax.numpy as jnp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
IGNORE_INDEX = -100

# --------------------------------------------------------------------------
# safetensors writer
# --------------------------------------------------------------------------

_ST_DTYPE = {
    np.dtype(np.float64): "F64",
    np.dtype(np.float32): "F32",
    np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64",
    np.dtype(ml_dtypes.bfloat16): "BF16",
}


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> numpy array. Data laid out in sorted-name order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.array(tensors[name], order="C", copy=True)  # keeps rank 0
        dt = _ST_DTYPE[arr.dtype]
        if arr.dtype == np.dtype(ml_dtypes.bfloat16):
            raw = arr.view(np.uint16).astype("<u2").tobytes()
        else:
            raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(np.uint64(len(hjson)).astype("<u8").tobytes())
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


# --------------------------------------------------------------------------
# weight generation
# --------------------------------------------------------------------------

class WeightMaker:
    """Draws weights in call order from one Generator, rounds to bf16."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.w = {}  # name -> bf16 numpy array (insertion order = draw order)

    def _put(self, name, x):
        assert name not in self.w, name
        self.w[name] = np.asarray(x, dtype=np.float64).astype(ml_dtypes.bfloat16)

    def normal(self, name, shape, std=0.02):
        self._put(name, self.rng.normal(0.0, std, size=shape))

    def norm_weight(self, name, shape):
        self._put(name, 1.0 + self.rng.normal(0.0, 0.1, size=shape))


def upcast(weights, dtype):
    return {k: jnp.asarray(v.astype(dtype)) for k, v in weights.items()}


def make_tokens_targets(rng, B, T, V):
    tokens = rng.integers(0, V, size=(B, T), dtype=np.int64).astype(np.int32)
    targets = rng.integers(0, V, size=(B, T), dtype=np.int64).astype(np.int32)
    ign = rng.choice(B * T, size=3, replace=False)
    targets.reshape(-1)[ign] = IGNORE_INDEX
    assert int((targets == IGNORE_INDEX).sum()) == 3
    return tokens, targets


def cross_entropy(logits, targets):
    """mean over non-ignored positions of logsumexp - logit[target]."""
    valid = targets != IGNORE_INDEX
    safe = jnp.where(valid, targets, 0)
    lse = jax.scipy.special.logsumexp(logits, axis=-1)
    tgt = jnp.take_along_axis(logits, safe[..., None], axis=-1)[..., 0]
    nll = jnp.where(valid, lse - tgt, jnp.zeros_like(lse))
    return jnp.sum(nll) / jnp.sum(valid).astype(logits.dtype)


def causal_softmax(scores):
    """scores [..., Tq, Tk]; softmax over keys with a causal mask."""
    T = scores.shape[-1]
    mask = jnp.tril(jnp.ones((T, T), dtype=bool))
    scores = jnp.where(mask, scores, -jnp.inf)
    return jax.nn.softmax(scores, axis=-1)


# --------------------------------------------------------------------------
# Model 1: GPT-2 (tiny-dense)
# --------------------------------------------------------------------------

GPT2_CFG = {
    "architectures": ["GPT2LMHeadModel"],
    "model_type": "gpt2",
    "vocab_size": 512,
    "n_positions": 64,
    "n_embd": 128,
    "n_layer": 4,
    "n_head": 4,
    "n_inner": None,
    "activation_function": "gelu_new",
    "layer_norm_epsilon": 1e-05,
    "resid_pdrop": 0.0,
    "embd_pdrop": 0.0,
    "attn_pdrop": 0.0,
    "initializer_range": 0.02,
    "scale_attn_weights": True,
    "scale_attn_by_inverse_layer_idx": False,
    "reorder_and_upcast_attn": False,
    "use_cache": True,
    "bos_token_id": 511,
    "eos_token_id": 511,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
}
GPT2_B, GPT2_T = 2, 32


def gpt2_weights(cfg, seed):
    wm = WeightMaker(seed)
    V, D, P = cfg["vocab_size"], cfg["n_embd"], cfg["n_positions"]
    F = cfg["n_inner"] or 4 * D
    wm.normal("transformer.wte.weight", (V, D))
    wm.normal("transformer.wpe.weight", (P, D))
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        wm.norm_weight(p + "ln_1.weight", (D,))
        wm.normal(p + "ln_1.bias", (D,))
        wm.normal(p + "attn.c_attn.weight", (D, 3 * D))   # Conv1D: [in, out]
        wm.normal(p + "attn.c_attn.bias", (3 * D,))
        wm.normal(p + "attn.c_proj.weight", (D, D))
        wm.normal(p + "attn.c_proj.bias", (D,))
        wm.norm_weight(p + "ln_2.weight", (D,))
        wm.normal(p + "ln_2.bias", (D,))
        wm.normal(p + "mlp.c_fc.weight", (D, F))
        wm.normal(p + "mlp.c_fc.bias", (F,))
        wm.normal(p + "mlp.c_proj.weight", (F, D))
        wm.normal(p + "mlp.c_proj.bias", (D,))
    wm.norm_weight("transformer.ln_f.weight", (D,))
    wm.normal("transformer.ln_f.bias", (D,))
    return wm


def layer_norm(x, w, b, eps):
    mu = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mu), axis=-1, keepdims=True)
    return (x - mu) / jnp.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + jnp.tanh(math.sqrt(2.0 / math.pi)
                                     * (x + 0.044715 * jnp.power(x, 3))))


def gpt2_forward(cfg, W, tokens):
    B, T = tokens.shape
    D, H = cfg["n_embd"], cfg["n_head"]
    hd = D // H
    eps = cfg["layer_norm_epsilon"]
    pos = jnp.arange(T)
    h = W["transformer.wte.weight"][tokens] + W["transformer.wpe.weight"][pos][None]
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        x = layer_norm(h, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = x @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]
        q, k, v = jnp.split(qkv, 3, axis=-1)
        q, k, v = (t.reshape(B, T, H, hd).transpose(0, 2, 1, 3) for t in (q, k, v))
        s = (q @ k.transpose(0, 1, 3, 2)) / jnp.asarray(math.sqrt(hd), dtype=h.dtype)
        a = causal_softmax(s) @ v                              # [B,H,T,hd]
        a = a.transpose(0, 2, 1, 3).reshape(B, T, D)
        h = h + (a @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"])
        x = layer_norm(h, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = gelu_new(x @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        h = h + (m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"])
    h = layer_norm(h, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)
    return h @ W["transformer.wte.weight"].T, {}


# --------------------------------------------------------------------------
# Model 2: DeepSeek-V3 (tiny-moe)
# --------------------------------------------------------------------------

DSV3_CFG = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "vocab_size": 512,
    "hidden_size": 256,
    "intermediate_size": 512,
    "moe_intermediate_size": 32,
    "num_hidden_layers": 4,
    "num_nextn_predict_layers": 0,
    "first_k_dense_replace": 1,
    "moe_layer_freq": 1,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "q_lora_rank": 64,
    "kv_lora_rank": 32,
    "qk_nope_head_dim": 32,
    "qk_rope_head_dim": 16,
    "v_head_dim": 32,
    "n_routed_experts": 16,
    "n_shared_experts": 1,
    "num_experts_per_tok": 4,
    "n_group": 4,
    "topk_group": 2,
    "scoring_func": "sigmoid",
    "topk_method": "noaux_tc",
    "routed_scaling_factor": 2.5,
    "norm_topk_prob": True,
    "ep_size": 1,
    "aux_loss_alpha": 0.001,
    "seq_aux": True,
    "hidden_act": "silu",
    "max_position_embeddings": 256,
    "rope_theta": 10000,
    "rope_scaling": {
        "type": "yarn",
        "factor": 4.0,
        "original_max_position_embeddings": 64,
        "beta_fast": 32,
        "beta_slow": 1,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
    },
    "rms_norm_eps": 1e-06,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "initializer_range": 0.02,
    "pretraining_tp": 1,
    "use_cache": True,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}
DSV3_B, DSV3_T = 2, 32


def dsv3_is_moe_layer(cfg, i):
    return (cfg["n_routed_experts"] is not None
            and i >= cfg["first_k_dense_replace"]
            and i % cfg["moe_layer_freq"] == 0)


def dsv3_weights(cfg, seed):
    wm = WeightMaker(seed)
    V, D = cfg["vocab_size"], cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    nope, rope, vd = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    ql, kvl = cfg["q_lora_rank"], cfg["kv_lora_rank"]
    I, MI, E = cfg["intermediate_size"], cfg["moe_intermediate_size"], cfg["n_routed_experts"]
    SI = MI * cfg["n_shared_experts"]
    wm.normal("model.embed_tokens.weight", (V, D))
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        wm.norm_weight(p + "input_layernorm.weight", (D,))
        a = p + "self_attn."
        wm.normal(a + "q_a_proj.weight", (ql, D))
        wm.norm_weight(a + "q_a_layernorm.weight", (ql,))
        wm.normal(a + "q_b_proj.weight", (H * (nope + rope), ql))
        wm.normal(a + "kv_a_proj_with_mqa.weight", (kvl + rope, D))
        wm.norm_weight(a + "kv_a_layernorm.weight", (kvl,))
        wm.normal(a + "kv_b_proj.weight", (H * (nope + vd), kvl))
        wm.normal(a + "o_proj.weight", (D, H * vd))
        wm.norm_weight(p + "post_attention_layernorm.weight", (D,))
        m = p + "mlp."
        if dsv3_is_moe_layer(cfg, i):
            wm.normal(m + "gate.weight", (E, D))
            wm.normal(m + "gate.e_score_correction_bias", (E,), std=0.05)
            for e in range(E):
                wm.normal(m + f"experts.{e}.gate_proj.weight", (MI, D))
                wm.normal(m + f"experts.{e}.up_proj.weight", (MI, D))
                wm.normal(m + f"experts.{e}.down_proj.weight", (D, MI))
            wm.normal(m + "shared_experts.gate_proj.weight", (SI, D))
            wm.normal(m + "shared_experts.up_proj.weight", (SI, D))
            wm.normal(m + "shared_experts.down_proj.weight", (D, SI))
        else:
            wm.normal(m + "gate_proj.weight", (I, D))
            wm.normal(m + "up_proj.weight", (I, D))
            wm.normal(m + "down_proj.weight", (D, I))
    wm.norm_weight("model.norm.weight", (D,))
    wm.normal("lm_head.weight", (V, D))
    return wm


def rms_norm(x, w, eps):
    return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps) * w


def linear(x, w):  # nn.Linear, weight [out, in]
    return x @ w.T


def silu(x):
    return x * jax.nn.sigmoid(x)


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


def yarn_cos_sin(cfg, T, dtype):
    """DeepseekV3YarnRotaryEmbedding cos/sin tables for positions 0..T-1."""
    rs = cfg["rope_scaling"]
    dim = cfg["qk_rope_head_dim"]
    base = float(cfg["rope_theta"])
    factor = rs["factor"]
    expo = jnp.arange(0, dim, 2).astype(dtype) / dim
    freq_extra = 1.0 / (base ** expo)
    freq_inter = 1.0 / (factor * base ** expo)
    low, high = yarn_find_correction_range(rs["beta_fast"], rs["beta_slow"], dim, base,
                                           rs["original_max_position_embeddings"])
    if low == high:
        high += 0.001
    ramp = jnp.clip((jnp.arange(dim // 2).astype(dtype) - low) / (high - low), 0, 1)
    inv_freq_mask = 1.0 - ramp
    inv_freq = freq_inter * (1 - inv_freq_mask) + freq_extra * inv_freq_mask
    t = jnp.arange(T).astype(dtype)
    freqs = jnp.outer(t, inv_freq)
    _mscale = float(yarn_get_mscale(factor, rs.get("mscale", 1))
                    / yarn_get_mscale(factor, rs.get("mscale_all_dim", 0)))
    emb = jnp.concatenate([freqs, freqs], axis=-1)            # [T, dim]
    return jnp.cos(emb) * _mscale, jnp.sin(emb) * _mscale


def rotate_half(x):
    d = x.shape[-1] // 2
    return jnp.concatenate([-x[..., d:], x[..., :d]], axis=-1)


def apply_rope_deinterleave(x, cos, sin):
    """x [B,h,T,d]; HF DeepSeek: view (d/2, 2), transpose, reshape, then rotate."""
    b, h, s, d = x.shape
    x = x.reshape(b, h, s, d // 2, 2).transpose(0, 1, 2, 4, 3).reshape(b, h, s, d)
    return x * cos + rotate_half(x) * sin


def dsv3_attention(cfg, W, a, x, cos, sin):
    B, T, _ = x.shape
    H = cfg["num_attention_heads"]
    nope, rope, vd = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    kvl, eps = cfg["kv_lora_rank"], cfg["rms_norm_eps"]
    qhd = nope + rope
    q = linear(rms_norm(linear(x, W[a + "q_a_proj.weight"]),
                        W[a + "q_a_layernorm.weight"], eps), W[a + "q_b_proj.weight"])
    q = q.reshape(B, T, H, qhd).transpose(0, 2, 1, 3)          # [B,H,T,qhd]
    q_nope, q_pe = q[..., :nope], q[..., nope:]
    ckv = linear(x, W[a + "kv_a_proj_with_mqa.weight"])         # [B,T,kvl+rope]
    ckv, k_pe = ckv[..., :kvl], ckv[..., kvl:]
    k_pe = k_pe.reshape(B, T, 1, rope).transpose(0, 2, 1, 3)    # [B,1,T,rope]
    kv = linear(rms_norm(ckv, W[a + "kv_a_layernorm.weight"], eps), W[a + "kv_b_proj.weight"])
    kv = kv.reshape(B, T, H, nope + vd).transpose(0, 2, 1, 3)   # [B,H,T,nope+vd]
    k_nope, v = kv[..., :nope], kv[..., nope:]
    q_pe = apply_rope_deinterleave(q_pe, cos, sin)
    k_pe = apply_rope_deinterleave(k_pe, cos, sin)
    qs = jnp.concatenate([q_nope, q_pe], axis=-1)
    ks = jnp.concatenate([k_nope, jnp.broadcast_to(k_pe, (B, H, T, rope))], axis=-1)
    rs = cfg["rope_scaling"]
    scale = qhd ** -0.5
    if rs is not None and rs.get("mscale_all_dim", 0):
        m = yarn_get_mscale(rs["factor"], rs["mscale_all_dim"])
        scale = scale * m * m
    s = (qs @ ks.transpose(0, 1, 3, 2)) * jnp.asarray(scale, dtype=x.dtype)
    o = causal_softmax(s) @ v                                   # [B,H,T,vd]
    o = o.transpose(0, 2, 1, 3).reshape(B, T, H * vd)
    return linear(o, W[a + "o_proj.weight"])


def swiglu_mlp(x, wg, wu, wd):
    return linear(silu(linear(x, wg)) * linear(x, wu), wd)


def dsv3_moe(cfg, W, m, x):
    """DeepseekV3MoE (inference path).  Returns (y, routing info)."""
    B, T, D = x.shape
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    G, TG = cfg["n_group"], cfg["topk_group"]
    N = B * T
    xf = x.reshape(N, D)
    # --- MoEGate, noaux_tc ---
    logits = linear(xf, W[m + "gate.weight"])                  # [N,E]
    scores = jax.nn.sigmoid(logits)
    sfc = scores + W[m + "gate.e_score_correction_bias"][None, :]
    group_scores = jax.lax.top_k(sfc.reshape(N, G, E // G), 2)[0].sum(-1)  # [N,G]
    gs_sorted, group_idx = jax.lax.top_k(group_scores, G)
    group_mask = jnp.zeros((N, G), dtype=bool).at[
        jnp.arange(N)[:, None], group_idx[:, :TG]].set(True)
    score_mask = jnp.repeat(group_mask, E // G, axis=1)        # [N,E]
    tmp = jnp.where(score_mask, sfc, jnp.zeros_like(sfc))      # masked_fill(~mask, 0.0)
    tmp_sorted, order = jax.lax.top_k(tmp, E)
    topk_idx = order[:, :K]
    topk_w = jnp.take_along_axis(scores, topk_idx, axis=1)
    if K > 1 and cfg["norm_topk_prob"]:
        topk_w = topk_w / (jnp.sum(topk_w, axis=-1, keepdims=True) + 1e-20)
    topk_w = topk_w * cfg["routed_scaling_factor"]
    # --- routed experts: sum_k w_k * expert_{idx_k}(x) ---
    wg = jnp.stack([W[m + f"experts.{e}.gate_proj.weight"] for e in range(E)])  # [E,I,D]
    wu = jnp.stack([W[m + f"experts.{e}.up_proj.weight"] for e in range(E)])
    wd = jnp.stack([W[m + f"experts.{e}.down_proj.weight"] for e in range(E)])  # [E,D,I]
    g_sel, u_sel, d_sel = wg[topk_idx], wu[topk_idx], wd[topk_idx]  # [N,K,...]
    hmid = silu(jnp.einsum("nd,nkid->nki", xf, g_sel)) * jnp.einsum("nd,nkid->nki", xf, u_sel)
    eo = jnp.einsum("nki,nkdi->nkd", hmid, d_sel)               # [N,K,D]
    y = jnp.sum(eo * topk_w[..., None], axis=1)
    # --- shared experts ---
    y = y + swiglu_mlp(xf, W[m + "shared_experts.gate_proj.weight"],
                       W[m + "shared_experts.up_proj.weight"],
                       W[m + "shared_experts.down_proj.weight"])
    # jax arrays (no numpy conversion), so that the forward can run under
    # jax.grad / jax.jit (make_train_golden.py); check_routing converts them.
    info = {
        "topk_idx": topk_idx,                                  # [N,K] chosen experts
        "scores": scores,                                      # [N,E] sigmoid(router logits)
        "experts": jnp.sort(topk_idx, axis=1),
        "groups": jnp.sort(group_idx[:, :TG], axis=1),
        "expert_margin": tmp_sorted[:, K - 1] - tmp_sorted[:, K],
        "group_margin": gs_sorted[:, TG - 1] - gs_sorted[:, TG],
        "min_kept_sfc": jnp.min(jnp.where(score_mask, sfc, jnp.inf)),
    }
    return y.reshape(B, T, D), info


def dsv3_forward(cfg, W, tokens):
    B, T = tokens.shape
    eps = cfg["rms_norm_eps"]
    dtype = W["model.embed_tokens.weight"].dtype
    cos, sin = yarn_cos_sin(cfg, T, dtype)
    h = W["model.embed_tokens.weight"][tokens]
    routing = {}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = h + dsv3_attention(cfg, W, p + "self_attn.",
                               rms_norm(h, W[p + "input_layernorm.weight"], eps), cos, sin)
        x = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        m = p + "mlp."
        if dsv3_is_moe_layer(cfg, i):
            y, routing[i] = dsv3_moe(cfg, W, m, x)
        else:
            y = swiglu_mlp(x, W[m + "gate_proj.weight"], W[m + "up_proj.weight"],
                           W[m + "down_proj.weight"])
        h = h + y
    h = rms_norm(h, W["model.norm.weight"], eps)
    return linear(h, W["lm_head.weight"]), routing


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

MIN_ROUTING_MARGIN = 1e-5  # stricter than the 1e-6 minimum asked for


def check_routing(r64, r32):
    worst = math.inf
    for layer in r64:
        a = {k: np.asarray(v) for k, v in r64[layer].items()}
        b = {k: np.asarray(v) for k, v in r32[layer].items()}
        if not (np.array_equal(a["experts"], b["experts"])
                and np.array_equal(a["groups"], b["groups"])):
            raise SystemExit(f"layer {layer}: f32 and f64 routed differently; change the seed")
        for r in (a, b):
            m = min(float(r["expert_margin"].min()), float(r["group_margin"].min()))
            if m <= MIN_ROUTING_MARGIN:
                raise SystemExit(f"layer {layer}: routing margin {m:.3g} too small; change the seed")
            if r["min_kept_sfc"] <= 0:
                raise SystemExit(f"layer {layer}: non-positive kept score; change the seed")
            worst = min(worst, m)
    return worst


def build(name, cfg, wm, forward, B, T, data_seed):
    out_dir = os.path.join(HERE, name)
    os.makedirs(out_dir, exist_ok=True)
    tokens, targets = make_tokens_targets(np.random.default_rng(data_seed), B, T, cfg["vocab_size"])
    res = {}
    for tag, dt in (("f64", np.float64), ("f32", np.float32)):
        W = upcast(wm.w, dt)
        for v in W.values():
            assert v.dtype == dt
        logits, routing = forward(cfg, W, jnp.asarray(tokens))
        loss = cross_entropy(logits, jnp.asarray(targets))
        assert logits.dtype == dt and loss.dtype == dt, (logits.dtype, loss.dtype)
        res[tag] = (np.asarray(logits), np.asarray(loss), routing)
    info = {}
    if res["f64"][2]:
        info["min_routing_margin"] = check_routing(res["f64"][2], res["f32"][2])
    l64, l32 = res["f64"][0], res["f32"][0]
    info["rel_f32_vs_f64"] = float(np.linalg.norm(l32.astype(np.float64) - l64)
                                   / np.linalg.norm(l64))
    write_json(os.path.join(out_dir, "config.json"), cfg)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), wm.w,
                      metadata={"format": "pt"})
    write_safetensors(os.path.join(out_dir, "golden.safetensors"), {
        "tokens": tokens,
        "targets": targets,
        "logits_f64": l64.astype(np.float64),
        "loss_f64": np.asarray(res["f64"][1], dtype=np.float64).reshape(()),
        "logits_f32": l32.astype(np.float32),
        "loss_f32": np.asarray(res["f32"][1], dtype=np.float32).reshape(()),
    })
    print(f"{name}: loss_f64={float(res['f64'][1]):.12f} loss_f32={float(res['f32'][1]):.7f} "
          f"(ln V = {math.log(cfg['vocab_size']):.4f})")
    for k, v in info.items():
        print(f"  {k} = {v:.3e}")
    for fn in ("config.json", "model.safetensors", "golden.safetensors"):
        path = os.path.join(out_dir, fn)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        print(f"  {fn:20s} {os.path.getsize(path):9d} bytes  sha256 {digest}")


def main():
    print(f"jax {jax.__version__}, numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}, "
          f"python {sys.version.split()[0]}")
    build("tiny-dense", GPT2_CFG, gpt2_weights(GPT2_CFG, seed=1001), gpt2_forward,
          GPT2_B, GPT2_T, data_seed=2001)
    build("tiny-moe", DSV3_CFG, dsv3_weights(DSV3_CFG, seed=1002), dsv3_forward,
          DSV3_B, DSV3_T, data_seed=2002)


if __name__ == "__main__":
    main()
