#!/usr/bin/env python3
"""The JAX training step bench/train_step.py times: DS's step (bench/common.py)
on test/models/golden/make_golden.py's models.

  tiny-dense, gpt-10m  make_golden.gpt2_forward as it is
  tiny-moe             make_golden's DeepSeek-V3 (its attention, norms, MLPs
                       and gate) with the routed experts written as a JAX
                       user would on CPU: capacity-based dispatch (GShard /
                       Switch style).  Each (token, k) choice is scattered
                       into its expert's [C, D] slot buffer, every expert
                       runs its SwiGLU on its buffer as one batched einsum
                       over stacked [E, D, I] weights, and the outputs are
                       gathered back, weighted and summed.  The capacity is
                       C = N (the batch's tokens): a token picks an expert at
                       most once, so nothing is ever dropped and the result
                       is the same sum_k w_k expert_{idx_k}(x) as DS's and
                       PyTorch's; the price is E*N rows of expert work
                       instead of N*K (4x for tiny-moe's 16 experts, top-4).
                       A smaller capacity factor would be faster but drop
                       tokens, i.e. train something else.
                       make_golden.dsv3_moe gathers each token's K expert
                       weight matrices instead (a reference, not what a user
                       runs: 15x slower here), and jax.lax.ragged_dot, the
                       grouped product JAX offers, lowers on CPU (JAX 0.10)
                       to a dense product over every group (E x the FLOPs):
                       5x slower than this dispatch on one tiny-moe layer.

Parameters are a dict of f32 arrays under Hugging Face names, except that
each MoE layer's experts are stacked: `<layer>.mlp.experts.gate_proj` and
`.up_proj` [E, D, I], `.down_proj` [E, I, D] (to_params / to_hf convert).
The step is one jax.jit (state donated): value_and_grad of forward + mean
cross-entropy, global-norm clipping, AdamW with bias correction and
decoupled decay masked by name, and the e_score_correction_bias update from
the forward's per-expert load, exactly bench/common.py's definition.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models", "golden"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import common  # noqa: E402
import make_golden as mg  # noqa: E402  (enables jax x64; user_mode() undoes it)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

EXPERT_MATS = ("gate_proj", "up_proj", "down_proj")


def user_mode():
    """JAX's defaults, as a user has them (make_golden turns on x64 and the
    highest matmul precision for its f64 golden data)."""
    jax.config.update("jax_enable_x64", False)
    jax.config.update("jax_default_matmul_precision", None)


def is_moe_layer(kind, cfg, i):
    return kind == "dsv3" and mg.dsv3_is_moe_layer(cfg, i)


def n_layers(kind, cfg):
    return cfg["n_layer"] if kind == "gpt2" else cfg["num_hidden_layers"]


def to_params(kind, cfg, weights):
    """HF-named numpy weights -> (params, biases): dicts of f32 jnp arrays;
    MoE experts stacked (see the module's doc), the balanced biases apart."""
    w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    params, biases = {}, {}
    for i in range(n_layers(kind, cfg)):
        if not is_moe_layer(kind, cfg, i):
            continue
        m = f"model.layers.{i}.mlp."
        E = cfg["n_routed_experts"]
        for mat in EXPERT_MATS:   # HF nn.Linear [out, in] -> [E, in, out]
            params[m + "experts." + mat] = jnp.asarray(np.stack(
                [w.pop(m + f"experts.{e}.{mat}.weight").T for e in range(E)]))
        biases[m + "gate." + common.BALANCED_SUFFIX] = jnp.asarray(
            w.pop(m + "gate." + common.BALANCED_SUFFIX))
    params.update({k: jnp.asarray(v) for k, v in w.items()})
    return params, biases


def to_hf(params, biases=None):
    """The inverse of to_params: dict of HF-named numpy arrays."""
    out = {}
    for k, v in params.items():
        v = np.asarray(v)
        mat = k.rsplit(".", 1)[-1]
        if k.rsplit(".", 2)[-2] == "experts" and mat in EXPERT_MATS:
            prefix = k[:-len(mat)]
            for e in range(v.shape[0]):
                out[f"{prefix}{e}.{mat}.weight"] = v[e].T
        else:
            out[k] = v
    for k, v in (biases or {}).items():
        out[k] = np.asarray(v)
    return out


def route(cfg, W, m, xf):
    """make_golden.dsv3_moe's gate (sigmoid, noaux_tc group-limited top-k):
    topk_idx [N, K], topk_w [N, K], group_idx [N, topk_group]."""
    N = xf.shape[0]
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    G, TG = cfg["n_group"], cfg["topk_group"]
    scores = jax.nn.sigmoid(mg.linear(xf, W[m + "gate.weight"]))         # [N, E]
    sfc = jax.lax.stop_gradient(scores) + W[m + "gate." + common.BALANCED_SUFFIX][None, :]
    group_scores = jax.lax.top_k(sfc.reshape(N, G, E // G), 2)[0].sum(-1)  # [N, G]
    group_idx = jax.lax.top_k(group_scores, TG)[1]
    group_mask = jnp.zeros((N, G), dtype=bool).at[jnp.arange(N)[:, None], group_idx].set(True)
    tmp = jnp.where(jnp.repeat(group_mask, E // G, axis=1), sfc, 0.0)
    topk_idx = jax.lax.top_k(tmp, K)[1]
    topk_w = jnp.take_along_axis(scores, topk_idx, axis=1)
    if K > 1 and cfg["norm_topk_prob"]:
        topk_w = topk_w / (jnp.sum(topk_w, axis=-1, keepdims=True) + 1e-20)
    return topk_idx, topk_w * cfg["routed_scaling_factor"], group_idx


def moe(cfg, W, m, x):
    """DeepseekV3MoE with capacity-based dispatch (capacity N: no drops).
    Returns (y, routing info with topk_idx)."""
    B, T, D = x.shape
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    N = B * T
    C = N
    xf = x.reshape(N, D)
    topk_idx, topk_w, group_idx = route(cfg, W, m, xf)
    flat = topk_idx.reshape(-1)                                      # [N*K]
    onehot = jax.nn.one_hot(flat, E, dtype=jnp.int32)                # [N*K, E]
    slot = jnp.sum((jnp.cumsum(onehot, axis=0) - 1) * onehot, axis=1)  # place in its expert
    token = jnp.arange(N * K) // K
    xe = jnp.zeros((E, C, D), x.dtype).at[flat, slot].set(xf[token])  # dispatch
    h = jax.nn.silu(jnp.einsum("ecd,edi->eci", xe, W[m + "experts.gate_proj"])) * \
        jnp.einsum("ecd,edi->eci", xe, W[m + "experts.up_proj"])
    ye = jnp.einsum("eci,eid->ecd", h, W[m + "experts.down_proj"])    # [E, C, D]
    y = jnp.zeros_like(xf).at[token].add(ye[flat, slot] * topk_w.reshape(-1, 1))  # combine
    y = y + mg.swiglu_mlp(xf, W[m + "shared_experts.gate_proj.weight"],
                          W[m + "shared_experts.up_proj.weight"],
                          W[m + "shared_experts.down_proj.weight"])
    info = {"topk_idx": topk_idx, "experts": jnp.sort(topk_idx, axis=1),
            "groups": jnp.sort(group_idx, axis=1)}
    return y.reshape(B, T, D), info


def dsv3_forward(cfg, W, tokens):
    """make_golden.dsv3_forward with moe() for the MoE layers."""
    B, T = tokens.shape
    eps = cfg["rms_norm_eps"]
    cos, sin = mg.yarn_cos_sin(cfg, T, W["model.embed_tokens.weight"].dtype)
    h = W["model.embed_tokens.weight"][tokens]
    routing = {}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = h + mg.dsv3_attention(cfg, W, p + "self_attn.",
                                  mg.rms_norm(h, W[p + "input_layernorm.weight"], eps), cos, sin)
        x = mg.rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        m = p + "mlp."
        if mg.dsv3_is_moe_layer(cfg, i):
            y, routing[i] = moe(cfg, W, m, x)
        else:
            y = mg.swiglu_mlp(x, W[m + "gate_proj.weight"], W[m + "up_proj.weight"],
                              W[m + "down_proj.weight"])
        h = h + y
    h = mg.rms_norm(h, W["model.norm.weight"], eps)
    return mg.linear(h, W["lm_head.weight"]), routing


FORWARDS = {"gpt2": mg.gpt2_forward, "dsv3": dsv3_forward}


def loss_and_loads(kind, cfg, params, biases, tokens, targets):
    """Mean cross-entropy and {bias name: per-expert load [E] f32}."""
    logits, routing = FORWARDS[kind](cfg, {**params, **biases}, tokens)
    loads = {f"model.layers.{i}.mlp.gate.{common.BALANCED_SUFFIX}":
             jnp.sum(jax.nn.one_hot(r["topk_idx"].reshape(-1), cfg["n_routed_experts"],
                                    dtype=jnp.float32), axis=0)
             for i, r in routing.items()}
    return mg.cross_entropy(logits, targets), loads


def init_state(kind, cfg, weights):
    """(step, params, biases, exp_avg, exp_avg_sq) from HF-named weights."""
    params, biases = to_params(kind, cfg, weights)
    zeros = {k: jnp.zeros_like(v) for k, v in params.items()}
    return (jnp.zeros((), jnp.int32), params, biases, zeros,
            {k: jnp.zeros_like(v) for k, v in params.items()})


def make_train_step(kind, cfg):
    """jitted step(state, tokens, targets) -> (state, loss); state from
    init_state, donated."""
    b1, b2 = common.BETAS

    def step(state, tokens, targets):
        t, params, biases, m, v = state
        (loss, loads), g = jax.value_and_grad(
            lambda p: loss_and_loads(kind, cfg, p, biases, tokens, targets),
            has_aux=True)(params)
        norm = jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree.leaves(g)))
        clip = jnp.minimum(1.0, common.CLIP_NORM / (norm + common.CLIP_EPS))
        t = t + 1
        tf = t.astype(jnp.float32)
        step_size = common.LR / (1.0 - b1 ** tf)
        bc2_root = jnp.sqrt(1.0 - b2 ** tf)
        new_p, new_m, new_v = {}, {}, {}
        for k, p in params.items():
            gk = g[k] * clip
            new_m[k] = b1 * m[k] + (1.0 - b1) * gk
            new_v[k] = b2 * v[k] + (1.0 - b2) * gk * gk
            if common.decays(k):
                p = p * (1.0 - common.LR * common.WEIGHT_DECAY)
            new_p[k] = p - step_size * new_m[k] / (jnp.sqrt(new_v[k]) / bc2_root + common.EPS)
        new_b = {k: b + common.BIAS_UPDATE_SPEED * jnp.sign(jnp.mean(loads[k]) - loads[k])
                 for k, b in biases.items()}
        return (t, new_p, new_b, new_m, new_v), loss

    return jax.jit(step, donate_argnums=0)


# --------------------------------------------------------------------------
# check: the grouped MoE forward against make_golden's
# --------------------------------------------------------------------------


def check(tol=1e-4):
    """dsv3_forward (capacity dispatch) vs make_golden.dsv3_forward, f32,
    make_golden's tiny-moe weights: logits, loss, routing, every gradient.
    Prints one line; returns True when within tol."""
    cfg, wm = mg.DSV3_CFG, mg.dsv3_weights(mg.DSV3_CFG, 1)
    tokens, targets = mg.make_tokens_targets(np.random.default_rng(99), mg.DSV3_B,
                                             mg.DSV3_T, cfg["vocab_size"])
    tokens, targets = jnp.asarray(tokens), jnp.asarray(targets)
    Wref = {k: jnp.asarray(np.asarray(v, np.float32)) for k, v in wm.w.items()}

    def ref_loss(W):
        logits, routing = mg.dsv3_forward(cfg, W, tokens)
        return mg.cross_entropy(logits, targets), (logits, routing)

    (lr_, (logits_r, rout_r)), g_r = jax.value_and_grad(ref_loss, has_aux=True)(Wref)
    params, biases = to_params("dsv3", cfg, wm.w)

    def our_loss(p):
        logits, routing = dsv3_forward(cfg, {**p, **biases}, tokens)
        return mg.cross_entropy(logits, targets), (logits, routing)

    (lo, (logits_o, rout_o)), g_o = jax.value_and_grad(our_loss, has_aux=True)(params)
    g_o = to_hf(g_o)

    def rel(a, b):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))

    r_logits, r_loss = rel(logits_o, logits_r), rel(lo, lr_)
    worst, worst_name = 0.0, None
    for k, gk in g_o.items():
        r = rel(gk, g_r[k])
        if r > worst:
            worst, worst_name = r, k
    same = all(np.array_equal(np.asarray(rout_o[i][f]), np.asarray(rout_r[i][f]))
               for i in rout_r for f in ("experts", "groups"))
    ok = max(r_logits, r_loss, worst) <= tol and same and len(g_o) == len(g_r) - len(biases)
    print(f"JAX capacity-dispatch MoE vs make_golden.dsv3_forward (f32): logits "
          f"{r_logits:.2e}  loss {r_loss:.2e}  grad(all {len(g_o)} tensors) {worst:.2e} "
          f"[{worst_name}]  routing {'same' if same else 'DIFFERS'}"
          + ("" if ok else "  <-- FAIL"))
    return ok


if __name__ == "__main__":
    sys.exit(0 if check() else 1)
