#!/usr/bin/env python3
"""Golden data for a tiny DeepSeek-V3 checkpoint made by Hugging Face transformers.

What
    tiny-v3-hf/ next to this script:
      config.json, generation_config.json, model.safetensors
          exactly as `DeepseekV3ForCausalLM.save_pretrained` writes them
          (transformers 5.x layout: RoPE only under "rope_parameters" with
          rope_type "yarn", no top-level rope_theta / rope_scaling; experts
          un-fused to model.layers.N.mlp.experts.E.{gate,up,down}_proj.weight;
          weights F32)
      golden.safetensors
          tokens I32 [2,32], targets I32 [2,32] (3 positions = -100),
          logits_f64 F64 [2,32,V], loss_f64 F64 [],
          logits_f32 F32 [2,32,V], loss_f32 F32 []
      grads.safetensors
          d loss_f64 / d tensor for every tensor of model.safetensors except
          the two *.mlp.gate.e_score_correction_bias (buffers: they only move
          the discrete top-k choice and get no gradient), under the saved
          (per-expert) names and shapes, F32; plus loss F64 [].

Why
    make_golden.py's tiny-moe is written by hand in the pre-5.x layout
    (top-level rope_theta + rope_scaling).  This directory is what current
    transformers actually writes, so an importer that only knows the old
    layout silently falls back to rope_theta 10000 / no YaRN and misses the
    golden by far more than the tolerance (the script prints by how much).
    The numbers are HF's own forward / backward pass (eager attention, eager
    experts), cross-checked against the independent JAX reference
    (make_golden.dsv3_forward, and jax.grad of it for the gradients).

Conventions (same as golden.safetensors of make_golden.py, see README.md)
    Positions 0..T-1, causal, no padding.  loss = mean over targets != -100
    of logsumexp(logits[b,t]) - logits[b,t,targets[b,t]] (targets are per
    position: no shift).  f64: the model converted with .to(torch.float64);
    note that HF still computes RMSNorm, the attention softmax, the router
    and the RoPE tables in float32 in a float64 model, so the f64 results
    agree with a true float64 computation to ~1e-7 relative, not 1e-15.
    f32: the same weights in float32.

Rerun (from the repository root, no network needed):

    .bench-venv/bin/python test/models/golden/make_hf_golden.py

Needs torch, transformers 5.x, safetensors, numpy, and jax + ml_dtypes for the
cross-check (imports make_golden.py).  Weights, tokens and targets are
bit-exact functions of the seeds; with the same software stack the outputs
are byte-identical on rerun.  The script refuses to write anything if the
routing has near-ties, if f32 and f64 route differently, or if a mapping
check fails.
"""

import copy
import hashlib
import logging
import math
import os
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_golden as mg  # noqa: E402  (enables jax x64, CPU)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402
from transformers import DeepseekV3Config, DeepseekV3ForCausalLM  # noqa: E402

OUT = os.path.join(HERE, "tiny-v3-hf")
B, T = 2, 32
WEIGHT_SEED = 4101
DATA_SEED = 4201
IGNORE_INDEX = -100
MIN_ROUTING_MARGIN = 1e-5

# Sizes are chosen so that the directory (weights + gradients in F32 +
# logits) stays under ~1.5 MB, while every MLA dimension is distinct
# (hidden 48, q_lora 40, kv_lora 32, qk_nope 24, qk_rope 16, v_head 20), so
# that an importer mixing them up fails on shapes.
SIZES = dict(
    vocab_size=256,
    hidden_size=48,
    intermediate_size=128,
    moe_intermediate_size=16,
    num_hidden_layers=3,
    first_k_dense_replace=1,
    num_attention_heads=4,
    num_key_value_heads=4,
    q_lora_rank=40,
    kv_lora_rank=32,
    qk_nope_head_dim=24,
    qk_rope_head_dim=16,
    v_head_dim=20,
    n_routed_experts=8,
    n_shared_experts=1,
    num_experts_per_tok=2,
    n_group=4,
    topk_group=2,
    norm_topk_prob=True,
    routed_scaling_factor=2.5,
    max_position_embeddings=256,
    rms_norm_eps=1e-6,
    tie_word_embeddings=False,
    # transformers' default is 1 (one MTP module), but save_pretrained of
    # DeepseekV3ForCausalLM writes no MTP weights; 0 keeps the config honest.
    num_mtp_layers=0,
    dtype="float32",
)
# rope_theta deliberately not the default 10000; max_position_embeddings /
# original_max_position_embeddings == factor, so transformers does not warn;
# mscale_all_dim nonzero and != mscale, so both the cos/sin factor
# mscale(f, 1) / mscale(f, 0.8) and the softmax scale mscale(f, 0.8)^2 are
# not 1.
ROPE_PARAMETERS = {
    "rope_theta": 50000.0,
    "rope_type": "yarn",
    "factor": 4.0,
    "original_max_position_embeddings": 64,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "mscale": 1.0,
    "mscale_all_dim": 0.8,
}


# --------------------------------------------------------------------------
# transformers warnings
# --------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.msgs = []

    def emit(self, record):
        self.msgs.append(f"[{record.levelname} {record.name}] {record.getMessage()}")


HF_LOG = _Collect()


def setup_logging():
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_warning()
    logging.getLogger("transformers").addHandler(HF_LOG)
    warnings.simplefilter("always")
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(HF_LOG)


# --------------------------------------------------------------------------
# config, names, weights
# --------------------------------------------------------------------------

def make_config(rope_parameters=ROPE_PARAMETERS, **over):
    kw = dict(SIZES)
    kw.update(over)
    return DeepseekV3Config(rope_parameters=copy.deepcopy(rope_parameters), **kw)


def is_moe(i):
    return i >= SIZES["first_k_dense_replace"]


def checkpoint_spec():
    """[(name, shape, kind)] in draw order, names as save_pretrained writes them."""
    s = SIZES
    V, D, H = s["vocab_size"], s["hidden_size"], s["num_attention_heads"]
    nope, rope, vd = s["qk_nope_head_dim"], s["qk_rope_head_dim"], s["v_head_dim"]
    ql, kvl = s["q_lora_rank"], s["kv_lora_rank"]
    I, MI, E = s["intermediate_size"], s["moe_intermediate_size"], s["n_routed_experts"]
    SI = MI * s["n_shared_experts"]
    spec = [("model.embed_tokens.weight", (V, D), "embed")]
    for i in range(s["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = p + "self_attn."
        spec += [
            (p + "input_layernorm.weight", (D,), "norm"),
            (a + "q_a_proj.weight", (ql, D), "linear"),
            (a + "q_a_layernorm.weight", (ql,), "norm"),
            (a + "q_b_proj.weight", (H * (nope + rope), ql), "linear"),
            (a + "kv_a_proj_with_mqa.weight", (kvl + rope, D), "linear"),
            (a + "kv_a_layernorm.weight", (kvl,), "norm"),
            (a + "kv_b_proj.weight", (H * (nope + vd), kvl), "linear"),
            (a + "o_proj.weight", (D, H * vd), "linear"),
            (p + "post_attention_layernorm.weight", (D,), "norm"),
        ]
        m = p + "mlp."
        if is_moe(i):
            spec += [(m + "gate.weight", (E, D), "linear"),
                     (m + "gate.e_score_correction_bias", (E,), "bias")]
            for e in range(E):
                spec += [(m + f"experts.{e}.gate_proj.weight", (MI, D), "linear"),
                         (m + f"experts.{e}.up_proj.weight", (MI, D), "linear"),
                         (m + f"experts.{e}.down_proj.weight", (D, MI), "linear")]
            spec += [(m + "shared_experts.gate_proj.weight", (SI, D), "linear"),
                     (m + "shared_experts.up_proj.weight", (SI, D), "linear"),
                     (m + "shared_experts.down_proj.weight", (D, SI), "linear")]
        else:
            spec += [(m + "gate_proj.weight", (I, D), "linear"),
                     (m + "up_proj.weight", (I, D), "linear"),
                     (m + "down_proj.weight", (D, I), "linear")]
    spec += [("model.norm.weight", (D,), "norm"), ("lm_head.weight", (V, D), "linear")]
    return spec


def make_weights(seed):
    """Saved-name -> float32 array.  Linear weights [out, in] ~ N(0, 1/in)
    (unit-variance activations: attention logits O(1), so attention is far
    from uniform and RoPE matters), embeddings N(0, 1), norm weights
    1 + N(0, 0.1), e_score_correction_bias N(0, 0.05)."""
    rng = np.random.default_rng(seed)
    w = {}
    for name, shape, kind in checkpoint_spec():
        if kind == "embed":
            x = rng.normal(0.0, 1.0, size=shape)
        elif kind == "linear":
            x = rng.normal(0.0, 1.0 / math.sqrt(shape[1]), size=shape)
        elif kind == "norm":
            x = 1.0 + rng.normal(0.0, 0.1, size=shape)
        else:
            x = rng.normal(0.0, 0.05, size=shape)
        w[name] = x.astype(np.float32)
    return w


def _expert_name(layer, e, proj):
    return f"model.layers.{layer}.mlp.experts.{e}.{proj}.weight"


def fuse(w):
    """Saved (per-expert) names -> the in-memory state_dict of
    DeepseekV3ForCausalLM: experts.gate_up_proj [E, 2*MI, D] = cat(gate, up)
    along dim 1 (the forward does linear(x, gate_up_proj[e]).chunk(2, -1)),
    experts.down_proj [E, D, MI]."""
    E = SIZES["n_routed_experts"]
    sd = {k: v for k, v in w.items() if ".mlp.experts." not in k}
    for i in range(SIZES["num_hidden_layers"]):
        if not is_moe(i):
            continue
        p = f"model.layers.{i}.mlp.experts."
        sd[p + "gate_up_proj"] = np.stack(
            [np.concatenate([w[_expert_name(i, e, "gate_proj")], w[_expert_name(i, e, "up_proj")]], 0)
             for e in range(E)])
        sd[p + "down_proj"] = np.stack([w[_expert_name(i, e, "down_proj")] for e in range(E)])
    return sd


def unfuse(sd):
    """Inverse of fuse (used for the gradients)."""
    MI = SIZES["moe_intermediate_size"]
    w = {}
    for k, v in sd.items():
        if k.endswith(".mlp.experts.gate_up_proj"):
            i = int(k.split(".")[2])
            for e in range(v.shape[0]):
                w[_expert_name(i, e, "gate_proj")] = v[e, :MI]
                w[_expert_name(i, e, "up_proj")] = v[e, MI:]
        elif k.endswith(".mlp.experts.down_proj"):
            i = int(k.split(".")[2])
            for e in range(v.shape[0]):
                w[_expert_name(i, e, "down_proj")] = v[e]
        else:
            w[k] = v
    return w


def make_tokens_targets(seed):
    """make_golden.py's tokens and targets (3 ignored), from their own seed."""
    return mg.make_tokens_targets(np.random.default_rng(seed), B, T,
                                  SIZES["vocab_size"])


# --------------------------------------------------------------------------
# HF forward with routing capture
# --------------------------------------------------------------------------

def build_model(config, weights):
    model = DeepseekV3ForCausalLM(config)
    model.set_attn_implementation("eager")
    model.set_experts_implementation("eager")
    sd = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in fuse(weights).items()}
    missing, unexpected = model.load_state_dict(sd, strict=True)
    assert not missing and not unexpected, (missing, unexpected)
    model.eval()
    return model


def hf_run(model, tokens, targets, grad=False):
    """Returns logits, loss (tensors; loss differentiable if grad) and per
    MoE layer the router outputs."""
    routing = {}
    hooks = []
    for i, layer in enumerate(model.model.layers):
        if is_moe(i):
            def hook(mod, inp, out, i=i):
                router_logits, topk_w, topk_idx = out
                routing[i] = dict(router_logits=router_logits.detach().clone(),
                                  topk_idx=topk_idx.detach().clone(),
                                  bias=mod.e_score_correction_bias.detach().clone())
            hooks.append(layer.mlp.gate.register_forward_hook(hook))
    try:
        with torch.set_grad_enabled(grad):
            logits = model(input_ids=torch.from_numpy(tokens).long()).logits
            V = logits.shape[-1]
            loss = F.cross_entropy(logits.reshape(-1, V), torch.from_numpy(targets).long().reshape(-1),
                                   ignore_index=IGNORE_INDEX, reduction="mean")
    finally:
        for h in hooks:
            h.remove()
    return logits, loss, routing


def routing_info(r):
    """Recomputes HF's noaux_tc selection (in the router's float32) with margins."""
    E, K = SIZES["n_routed_experts"], SIZES["num_experts_per_tok"]
    G, TG = SIZES["n_group"], SIZES["topk_group"]
    logits = r["router_logits"]
    assert logits.dtype == torch.float32
    scores = logits.sigmoid()
    sfc = scores + r["bias"]
    gs = sfc.view(-1, G, E // G).topk(2, dim=-1)[0].sum(-1)
    gs_sorted, gidx = gs.sort(dim=-1, descending=True)
    groups = gidx[:, :TG]
    gmask = torch.zeros_like(gs, dtype=torch.bool).scatter_(1, groups, True)
    smask = gmask.unsqueeze(-1).expand(-1, G, E // G).reshape(-1, E)
    masked = sfc.masked_fill(~smask, float("-inf"))
    m_sorted, eidx = masked.sort(dim=-1, descending=True)
    experts = eidx[:, :K].sort(dim=-1)[0]
    if not torch.equal(experts, r["topk_idx"].sort(dim=-1)[0]):
        raise SystemExit("recomputed routing differs from HF's")
    return dict(
        experts=experts.numpy(),
        groups=groups.sort(dim=-1)[0].numpy(),
        expert_margin=float((m_sorted[:, K - 1] - m_sorted[:, K]).min()),
        group_margin=float((gs_sorted[:, TG - 1] - gs_sorted[:, TG]).min()),
        # make_golden's JAX reference masks the dropped groups with 0 instead
        # of -inf; the two agree when every kept score is positive.
        min_kept_sfc=float(sfc[smask].min()),
    )


def check_routing(r64, r32):
    worst = math.inf
    for i in sorted(r64):
        a, b = routing_info(r64[i]), routing_info(r32[i])
        if not (np.array_equal(a["experts"], b["experts"]) and np.array_equal(a["groups"], b["groups"])):
            raise SystemExit(f"layer {i}: f32 and f64 routed differently; change the seed")
        for r in (a, b):
            m = min(r["expert_margin"], r["group_margin"])
            if m <= MIN_ROUTING_MARGIN:
                raise SystemExit(f"layer {i}: routing margin {m:.3g} too small; change the seed")
            if r["min_kept_sfc"] <= 0:
                raise SystemExit(f"layer {i}: non-positive kept score; change the seed")
            worst = min(worst, m)
    return worst


# --------------------------------------------------------------------------
# JAX cross-check (make_golden.py)
# --------------------------------------------------------------------------

def jax_config():
    cfg = dict(mg.DSV3_CFG)
    for k, v in SIZES.items():
        if k in cfg:
            cfg[k] = v
    cfg["num_nextn_predict_layers"] = SIZES["num_mtp_layers"]
    cfg["moe_layer_freq"] = 1
    cfg["scoring_func"], cfg["topk_method"] = "sigmoid", "noaux_tc"
    rp = ROPE_PARAMETERS
    cfg["rope_theta"] = rp["rope_theta"]
    cfg["rope_scaling"] = {"type": rp["rope_type"]}
    cfg["rope_scaling"].update({k: v for k, v in rp.items() if k not in ("rope_theta", "rope_type")})
    return cfg


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------

def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    setup_logging()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, jax {jax.__version__}, "
          f"numpy {np.__version__}, python {sys.version.split()[0]}")
    torch.use_deterministic_algorithms(True)

    config = make_config()
    if config.rope_parameters != ROPE_PARAMETERS:
        raise SystemExit(f"transformers changed rope_parameters: {config.rope_parameters}")
    for k, v in SIZES.items():
        if k not in ("num_mtp_layers", "dtype") and getattr(config, k) != v:
            raise SystemExit(f"transformers changed {k}: {getattr(config, k)} != {v}")

    weights = make_weights(WEIGHT_SEED)
    tokens, targets = make_tokens_targets(DATA_SEED)
    model32 = build_model(config, weights)
    model64 = copy.deepcopy(model32).to(torch.float64)
    for n, p in model64.named_parameters():
        assert p.dtype == torch.float64, n

    # ---- forward / backward -------------------------------------------------
    logits32, loss32, r32 = hf_run(model32, tokens, targets)
    logits64, loss64, r64 = hf_run(model64, tokens, targets, grad=True)
    assert logits32.dtype == torch.float32 and logits64.dtype == torch.float64
    margin = check_routing(r64, r32)
    model64.zero_grad(set_to_none=True)
    loss64.backward()
    fused_grads = {}
    for n, p in model64.named_parameters():
        if p.grad is None:
            raise SystemExit(f"no gradient for {n}")
        fused_grads[n] = p.grad.detach().numpy()
    grads = unfuse(fused_grads)
    l64 = logits64.detach().numpy()
    l32 = logits32.detach().numpy()
    loss64_v = float(loss64.detach())
    loss32_v = float(loss32.detach())

    # loss formula check (independent of F.cross_entropy)
    valid = targets != IGNORE_INDEX
    lse = np.log(np.exp(l64 - l64.max(-1, keepdims=True)).sum(-1)) + l64.max(-1)
    tgt = np.take_along_axis(l64, np.where(valid, targets, 0)[..., None], -1)[..., 0]
    assert abs((lse - tgt)[valid].mean() - loss64_v) < 1e-12 * abs(loss64_v)

    # ---- save and verify the name mapping ------------------------------------
    os.makedirs(OUT, exist_ok=True)
    model32.save_pretrained(OUT)
    for fn in os.listdir(OUT):  # safetensors writes model.safetensors as 0600
        os.chmod(os.path.join(OUT, fn), 0o644)
    saved = load_file(os.path.join(OUT, "model.safetensors"))
    if set(saved) != set(weights):
        raise SystemExit(f"saved names differ: {sorted(set(saved) ^ set(weights))[:8]}")
    for k, v in weights.items():
        if saved[k].dtype != np.float32 or not np.array_equal(saved[k], v):
            raise SystemExit(f"saved tensor {k} differs from the drawn weights (fuse/unfuse mapping)")
    expected_grad_names = {k for k in weights if not k.endswith("e_score_correction_bias")}
    if set(grads) != expected_grad_names:
        raise SystemExit(f"gradient names differ: {sorted(set(grads) ^ expected_grad_names)[:8]}")
    for k, g in grads.items():
        assert g.shape == weights[k].shape, (k, g.shape)

    reloaded, info = DeepseekV3ForCausalLM.from_pretrained(
        OUT, attn_implementation="eager", experts_implementation="eager", output_loading_info=True)
    bad = {k: v for k, v in info.items() if v}
    if bad:
        raise SystemExit(f"from_pretrained loading info: {bad}")
    if reloaded.config.rope_parameters != ROPE_PARAMETERS:
        raise SystemExit(f"reloaded rope_parameters: {reloaded.config.rope_parameters}")
    rsd = reloaded.state_dict()
    msd = model32.state_dict()
    if set(rsd) != set(msd) or any(not torch.equal(rsd[k], msd[k]) for k in msd):
        raise SystemExit("from_pretrained state_dict differs from the in-memory model")
    reloaded.eval()
    rl, rloss, _ = hf_run(reloaded, tokens, targets)
    if not torch.equal(rl, logits32):
        raise SystemExit("reloaded model gives different f32 logits")

    # ---- JAX cross-check ----------------------------------------------------
    jcfg = jax_config()
    jt, jy = jnp.asarray(tokens), jnp.asarray(targets)
    W64 = {k: jnp.asarray(v.astype(np.float64)) for k, v in weights.items()}
    W32 = {k: jnp.asarray(v) for k, v in weights.items()}
    jl64, jr64 = mg.dsv3_forward(jcfg, W64, jt)
    jl32, jr32 = mg.dsv3_forward(jcfg, W32, jt)
    jax_margin = mg.check_routing(jr64, jr32)
    for i in r64:
        if not np.array_equal(np.asarray(jr64[i]["experts"]), routing_info(r64[i])["experts"]):
            raise SystemExit(f"layer {i}: HF and JAX routed differently")

    def jloss(W):
        return mg.cross_entropy(mg.dsv3_forward(jcfg, W, jt)[0], jy)

    jloss64, jgrads = jax.value_and_grad(jloss)(W64)
    grad_rel = {}
    zero_grads = []
    for k, g in grads.items():
        jg = np.asarray(jgrads[k])
        if not np.any(jg):
            zero_grads.append(k)
            if np.any(g):
                raise SystemExit(f"{k}: HF gradient nonzero where JAX's is zero")
            continue
        grad_rel[k] = rel(g, jg)
    worst_grad = max(grad_rel, key=grad_rel.get)
    hf_vs_jax = dict(
        logits_f64=rel(l64, jl64),
        logits_f32=rel(l32, jl32),
        loss_f64=abs(loss64_v - float(jloss64)) / abs(float(jloss64)),
        grads_f64_worst=grad_rel[worst_grad],
        grads_f64_all=rel(np.concatenate([grads[k].ravel() for k in sorted(grad_rel)]),
                          np.concatenate([np.asarray(jgrads[k]).ravel() for k in sorted(grad_rel)])),
    )
    if hf_vs_jax["logits_f64"] > 1e-5 or hf_vs_jax["logits_f32"] > 1e-4 or hf_vs_jax["grads_f64_all"] > 1e-5:
        raise SystemExit(f"HF and JAX disagree: {hf_vs_jax}")

    # ---- sensitivity: the same weights under other RoPE settings ------------
    variants = {
        "rope_theta 10000, no YaRN": {"rope_type": "default", "rope_theta": 10000.0},
        "rope_theta 10000, YaRN": dict(ROPE_PARAMETERS, rope_theta=10000.0),
        "rope_theta 50000, no YaRN": {"rope_type": "default", "rope_theta": 50000.0},
        "mscale_all_dim 0 (no softmax-scale term)": dict(ROPE_PARAMETERS, mscale_all_dim=0.0),
        "mscale_all_dim 1.0": dict(ROPE_PARAMETERS, mscale_all_dim=1.0),
    }
    sens = {}
    for name, rp in variants.items():
        mdl = build_model(make_config(rp), weights).to(torch.float64)
        lv, _, _ = hf_run(mdl, tokens, targets)
        sens[name] = rel(lv.numpy(), l64)
    mdl = build_model(make_config(rope_interleave=False), weights).to(torch.float64)
    lv, _, _ = hf_run(mdl, tokens, targets)
    sens["rope_interleave false"] = rel(lv.numpy(), l64)
    # how far attention is from uniform: mean over layers, heads and query
    # positions t >= 1 of entropy / ln(t + 1) (1 = uniform over the prefix)
    with torch.no_grad():
        att = model64(input_ids=torch.from_numpy(tokens).long(), output_attentions=True).attentions
    ent = []
    for a in att:                                   # [B, H, T, T]
        a = a.numpy()
        for t in range(1, T):
            p = a[:, :, t, :t + 1]
            ent.append((-(p * np.log(np.maximum(p, 1e-300))).sum(-1) / math.log(t + 1)).mean())
    attn_entropy = float(np.mean(ent))

    # ---- write ---------------------------------------------------------------
    mg.write_safetensors(os.path.join(OUT, "golden.safetensors"), {
        "tokens": tokens,
        "targets": targets,
        "logits_f64": l64.astype(np.float64),
        "loss_f64": np.asarray(loss64_v, dtype=np.float64).reshape(()),
        "logits_f32": l32.astype(np.float32),
        "loss_f32": np.asarray(loss32_v, dtype=np.float32).reshape(()),
    })
    gout = {k: np.asarray(v, dtype=np.float32) for k, v in grads.items()}
    gout["loss"] = np.asarray(loss64_v, dtype=np.float64).reshape(())
    mg.write_safetensors(os.path.join(OUT, "grads.safetensors"), gout)

    # ---- report -------------------------------------------------------------
    print(f"tiny-v3-hf: loss_f64={loss64_v:.12f} loss_f32={loss32_v:.7f} "
          f"(ln V = {math.log(SIZES['vocab_size']):.4f})")
    print(f"  f32 vs f64 logits (HF)        {rel(l32, l64):.3e}")
    print(f"  min routing margin HF / JAX   {margin:.3e} / {jax_margin:.3e}")
    for k, v in hf_vs_jax.items():
        print(f"  HF vs JAX {k:20s}{v:.3e}" + (f"  ({worst_grad})" if k == "grads_f64_worst" else ""))
    print(f"  all-zero gradients (experts no token routes to): {len(zero_grads) // 3} experts")
    for z in zero_grads:
        print(f"    {z}")
    print("  sensitivity: rel. logits difference vs the golden, same weights (f64):")
    for k, v in sens.items():
        print(f"    {k:42s}{v:.3e}")
    print(f"  attention entropy / ln(prefix length), mean: {attn_entropy:.3f} (1 = uniform)")
    print(f"  transformers warnings: {len(HF_LOG.msgs)}")
    for msg in HF_LOG.msgs:
        print(f"    {msg}")
    total = 0
    for fn in sorted(os.listdir(OUT)):
        path = os.path.join(OUT, fn)
        total += os.path.getsize(path)
        print(f"  {fn:24s} {os.path.getsize(path):9d} bytes  sha256 {sha(path)}")
    print(f"  total {total} bytes")


if __name__ == "__main__":
    main()
