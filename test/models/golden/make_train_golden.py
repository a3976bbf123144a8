#!/usr/bin/env python3
"""Training golden data for the tiny models, computed in float64 with jax.grad.

Reuses make_golden.py (imported as a module) for the configs, the weights, the
forward passes (gpt2_forward, dsv3_forward) and cross_entropy, so the losses
here are exactly the ones behind golden.safetensors.  Every number is computed
in float64 (jax x64) from the BF16 weights of model.safetensors upcast exactly
to f64; results are stored as F32 (tensors) or F64 (scalars, small arrays).

Writes, next to this script:

  tiny-dense/grads.safetensors
      for every tensor of tiny-dense/model.safetensors, d loss / d tensor under
      the same HF name, F32 (transformer.wte.weight includes its use as the
      tied lm_head); "loss" F64 [] (= golden loss_f64).  loss = mean CE of
      golden.safetensors' tokens / targets (targets != -100).

  tiny-moe/grads.safetensors
      the same for tiny-moe, every tensor except the
      model.layers.{1,2,3}.mlp.gate.e_score_correction_bias tensors (they only
      move the discrete top-k selection, so they get no gradient).

  tiny-moe/train_step.safetensors          (__metadata__: all hyperparameters)
      step{0,1}.tokens, step{0,1}.targets   I32 [A=2, B=2, T=32]
      step{k}.loss        F64 []     mean over the A micro-batches of the CE
      step{k}.grad_norm   F64 []     global L2 norm of the mean gradient, pre-clip
      step{k}.lr          F64 []     learning rate used by step k
      step{k}.expert_load F64 [3,16] routed (token, k) pairs per expert, summed
                                     over the micro-batches, MoE layers 1..3
  tiny-moe/train_step_params.safetensors
      every tensor after the two steps (AdamW + clipping + warmup/cosine lr +
      aux-loss-free bias update), F32, HF names.

  tiny-moe/aux.safetensors                 (__metadata__: alpha)
      sequence-wise balance loss (DeepSeek-V3 eq. 17-20, alpha = 0.01) on the
      golden tokens / targets: "loss" F64 [] (= ce + sum balance_loss),
      "ce" F64 [], "balance_loss" F64 [3], and the gradients of "loss" w.r.t.
      model.layers.{1,2,3}.mlp.gate.weight and
      model.layers.1.self_attn.q_a_proj.weight, stored under "grad." + name, F32.

See README.md for the exact algorithm.  Before writing, the script checks its
gradients against central finite differences (f64), checks the training steps
against an independent plain-numpy implementation of clipping / lr / AdamW /
bias update, checks that the mean of the micro-batch gradients equals the
gradient on the concatenated batch, and refuses to write if any routing
decision (in any of the forward passes) is within 1e-5 of a tie.  It also runs
the training steps in float32 as a diagnostic (printed, not stored).

Rerun (from the repository root):

    python3 test/models/golden/make_train_golden.py

Deterministic: the data are bit-exact functions of the seeds, and rerunning on
the same software stack (python 3.11.7, jax 0.10.2 CPU, numpy 2.4.6,
ml_dtypes 0.6.0) rewrites identical bytes.
"""

import hashlib
import json
import math
import os
import sys

import numpy as np
import ml_dtypes

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_golden as mg  # noqa: E402  (enables jax x64, CPU, highest precision)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

assert jax.config.jax_enable_x64

# --------------------------------------------------------------------------
# hyperparameters
# --------------------------------------------------------------------------

TRAIN_SEED = 3004            # data of the two training steps (3002, 3003, 3005, 3009
                             # also pass, with smaller routing margins; 3006-3008 fail)
A = 2                        # micro-batches per step
STEPS = 2
HP = {
    "lr_max": 1e-2,
    "beta1": 0.9,
    "beta2": 0.95,
    "eps": 1e-8,
    "weight_decay": 0.1,
    "warmup": 1,
    "total": 3,
    "min_lr_ratio": 0.1,
    "gamma": 1e-3,           # e_score_correction_bias update speed
}
CLIP_EPS = 1e-6              # factor = min(1, C / (grad_norm + CLIP_EPS))
ALPHA = 0.01                 # sequence-wise balance loss weight (aux.safetensors)
FD_H = 1e-3                  # finite-difference step (Richardson: h and h/2)
BIAS_SUFFIX = "mlp.gate.e_score_correction_bias"

# --------------------------------------------------------------------------
# io helpers
# --------------------------------------------------------------------------

_ST_NP = {"F64": np.float64, "F32": np.float32, "I32": np.int32, "I64": np.int64,
          "BF16": ml_dtypes.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = int(np.frombuffer(data[:8], dtype="<u8")[0])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        dt = np.dtype(_ST_NP[h["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(data[base + a:base + b], dtype=dt).reshape(h["shape"]).copy()
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def load_model(name, cfg, weights_fn, seed):
    """bf16 weights of model.safetensors, checked equal to make_golden's generator."""
    d = os.path.join(HERE, name)
    w_file = read_safetensors(os.path.join(d, "model.safetensors"))
    w_gen = weights_fn(cfg, seed).w
    assert list(sorted(w_file)) == list(sorted(w_gen)), name
    for k, v in w_gen.items():
        assert w_file[k].dtype == v.dtype and np.array_equal(
            w_file[k].view(np.uint16), v.view(np.uint16)), (name, k)
    with open(os.path.join(d, "config.json")) as f:
        assert json.load(f) == json.loads(json.dumps(cfg)), name
    golden = read_safetensors(os.path.join(d, "golden.safetensors"))
    return w_gen, golden  # dict in draw order


def f64(weights):
    return {k: jnp.asarray(v.astype(np.float64)) for k, v in weights.items()}


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------

def gpt2_loss(W, tokens, targets):
    logits, _ = mg.gpt2_forward(mg.GPT2_CFG, W, tokens)
    return mg.cross_entropy(logits, targets)


def dsv3_loss(Wt, Wb, tokens, targets):
    """Wt: trainable tensors, Wb: e_score_correction_bias tensors (no gradient)."""
    logits, routing = mg.dsv3_forward(mg.DSV3_CFG, {**Wt, **Wb}, tokens)
    return mg.cross_entropy(logits, targets), routing


def balance_losses(cfg, routing, B, T, alpha):
    """DeepSeek-V3 sequence-wise balance loss per MoE layer (eq. 17-20)."""
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    out = []
    for layer in sorted(routing):
        s = routing[layer]["scores"].reshape(B, T, E)               # sigmoid(x @ Wg^T)
        sp = s / jnp.sum(s, axis=-1, keepdims=True)
        P = jnp.mean(sp, axis=1)                                    # [B,E]
        idx = routing[layer]["topk_idx"].reshape(B, T * K)
        count = jnp.sum(jax.nn.one_hot(idx, E, dtype=s.dtype), axis=1)  # [B,E]
        f = jax.lax.stop_gradient(count * (E / (K * T)))
        out.append(alpha * jnp.mean(jnp.sum(f * P, axis=-1)))
    return jnp.stack(out)


def dsv3_aux_loss(Wt, Wb, tokens, targets):
    ce, routing = dsv3_loss(Wt, Wb, tokens, targets)
    bl = balance_losses(mg.DSV3_CFG, routing, tokens.shape[0], tokens.shape[1], ALPHA)
    return ce + jnp.sum(bl), (ce, bl, routing)


gpt2_loss_jit = jax.jit(gpt2_loss)
gpt2_grad_jit = jax.jit(jax.value_and_grad(gpt2_loss))
dsv3_loss_jit = jax.jit(dsv3_loss)
dsv3_grad_jit = jax.jit(jax.value_and_grad(dsv3_loss, has_aux=True))
dsv3_aux_jit = jax.jit(dsv3_aux_loss)
dsv3_aux_grad_jit = jax.jit(jax.value_and_grad(dsv3_aux_loss, has_aux=True))


def split_bias(W):
    Wt = {k: v for k, v in W.items() if not k.endswith(BIAS_SUFFIX)}
    Wb = {k: v for k, v in W.items() if k.endswith(BIAS_SUFFIX)}
    return Wt, Wb


# --------------------------------------------------------------------------
# routing checks
# --------------------------------------------------------------------------

def routing_margin(routing, where):
    """min over layers of the top-k / group-selection margins; refuses near-ties."""
    worst = math.inf
    for layer, r in routing.items():
        m = min(float(np.min(np.asarray(r["expert_margin"]))),
                float(np.min(np.asarray(r["group_margin"]))))
        if not m > mg.MIN_ROUTING_MARGIN:
            raise SystemExit(f"{where}, layer {layer}: routing margin {m:.3g} too small; "
                             "change the seed")
        if not float(r["min_kept_sfc"]) > 0:
            raise SystemExit(f"{where}, layer {layer}: non-positive kept score; change the seed")
        worst = min(worst, m)
    return worst


def routing_experts(routing):
    return {layer: np.asarray(r["experts"]) for layer, r in routing.items()}


def expert_load(cfg, routing):
    E = cfg["n_routed_experts"]
    return np.stack([np.bincount(np.asarray(routing[layer]["topk_idx"]).reshape(-1),
                                 minlength=E).astype(np.float64)
                     for layer in sorted(routing)])


# --------------------------------------------------------------------------
# finite differences
# --------------------------------------------------------------------------

def fd_check(tag, loss_of, W, grads, picks, rng, h=FD_H):
    """Richardson-extrapolated central differences, (4 D(h/2) - D(h)) / 3, for the
    largest-|grad| entry and one random entry of each tensor in picks.
    loss_of(W) -> (loss, routing or None); h shrinks if the routing would move."""
    _, r0 = loss_of(W)

    def central(name, idx, hh):
        out = []
        for sgn in (1.0, -1.0):
            Wx = dict(W)
            Wx[name] = W[name].at[idx].add(sgn * hh)
            lx, rx = loss_of(Wx)
            if rx is not None:
                for layer in r0:
                    if not np.array_equal(np.asarray(rx[layer]["experts"]),
                                          np.asarray(r0[layer]["experts"])):
                        return None
            out.append(float(lx))
        return (out[0] - out[1]) / (2 * hh)

    worst = 0.0
    for name in picks:
        g = np.asarray(grads[name])
        scale = float(np.max(np.abs(g)))
        flat_max = int(np.argmax(np.abs(g)))
        flat_rnd = int(rng.integers(0, g.size))
        for flat in (flat_max, flat_rnd):
            idx = np.unravel_index(flat, g.shape)
            hh = h
            while True:
                d1, d2 = central(name, idx, hh), central(name, idx, hh / 2)
                if d1 is not None and d2 is not None:
                    break
                hh /= 4
                assert hh > 1e-7, "routing moves under tiny perturbations"
            fd = (4 * d2 - d1) / 3
            an = float(g[idx])
            err = abs(fd - an) / max(abs(an), 1e-2 * scale)
            worst = max(worst, err)
            print(f"    fd {tag} {name}{list(map(int, idx))}: jax.grad {an:+.12e} "
                  f"fd {fd:+.12e} rel {err:.1e} (h {hh:.2g})")
    if worst > 1e-6:
        raise SystemExit(f"{tag}: finite differences disagree ({worst:.2e})")
    return worst


# --------------------------------------------------------------------------
# (a), (b): gradients of the golden loss
# --------------------------------------------------------------------------

def build_dense_grads():
    wts, golden = load_model("tiny-dense", mg.GPT2_CFG, mg.gpt2_weights, 1001)
    W = f64(wts)
    tokens, targets = jnp.asarray(golden["tokens"]), jnp.asarray(golden["targets"])
    loss, grads = gpt2_grad_jit(W, tokens, targets)
    loss = float(loss)
    assert abs(loss - float(golden["loss_f64"])) <= 1e-14 * abs(loss), loss
    assert set(grads) == set(wts)
    # tied embedding: W['transformer.wte.weight'] is used twice in gpt2_forward
    # (lookup and lm_head), so jax.grad sums both uses; the finite differences
    # below perturb the single tensor, i.e. check exactly that.
    print("  tiny-dense finite differences:")
    rng = np.random.default_rng(1)
    fd_check("dense", lambda Wx: (gpt2_loss_jit(Wx, tokens, targets), None), W, grads,
             ["transformer.wte.weight", "transformer.wpe.weight",
              "transformer.h.2.attn.c_attn.weight", "transformer.h.0.mlp.c_proj.bias",
              "transformer.h.3.ln_2.weight", "transformer.ln_f.bias"], rng)
    # f32 diagnostic
    W32 = {k: jnp.asarray(v.astype(np.float32)) for k, v in wts.items()}
    _, g32 = gpt2_grad_jit(W32, tokens, targets)
    r32 = max(rel(g32[k], grads[k]) for k in grads)
    out = {k: np.asarray(v, dtype=np.float32) for k, v in grads.items()}
    out["loss"] = np.asarray(loss, dtype=np.float64).reshape(())
    gnorm = math.sqrt(sum(float(jnp.sum(g * g)) for g in grads.values()))
    print(f"  tiny-dense: loss {loss:.12f}  |grad| {gnorm:.10f}  "
          f"max per-tensor rel(f32 grad, f64 grad) {r32:.2e}")
    return {"grads.safetensors": (out, None)}


def build_moe_grads_and_aux():
    wts, golden = load_model("tiny-moe", mg.DSV3_CFG, mg.dsv3_weights, 1002)
    W = f64(wts)
    Wt, Wb = split_bias(W)
    tokens, targets = jnp.asarray(golden["tokens"]), jnp.asarray(golden["targets"])
    (loss, routing), grads = dsv3_grad_jit(Wt, Wb, tokens, targets)
    loss = float(loss)
    assert abs(loss - float(golden["loss_f64"])) <= 1e-14 * abs(loss), loss
    margin = routing_margin(routing, "golden batch")
    assert set(grads) == set(wts) - set(Wb) and len(Wb) == 3
    print("  tiny-moe finite differences:")
    rng = np.random.default_rng(2)

    def loss_of(Wx):
        return dsv3_loss_jit(Wx, Wb, tokens, targets)

    fd_check("moe", loss_of, Wt, grads,
             ["model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight",
              "model.layers.1.self_attn.q_a_proj.weight",
              "model.layers.1.self_attn.kv_a_layernorm.weight",
              "model.layers.2.mlp.gate.weight", "model.layers.2.mlp.experts.5.down_proj.weight",
              "model.layers.3.mlp.shared_experts.gate_proj.weight",
              "model.norm.weight", "lm_head.weight"], rng)
    # the bias has no gradient: the loss is locally constant in it
    b = "model.layers.2." + BIAS_SUFFIX
    Wb2 = dict(Wb)
    Wb2[b] = Wb[b].at[3].add(1e-6)
    assert float(dsv3_loss_jit(Wt, Wb2, tokens, targets)[0]) == loss
    W32 = {k: jnp.asarray(v.astype(np.float32)) for k, v in wts.items()}
    (_, _), g32 = dsv3_grad_jit(*split_bias(W32), tokens, targets)
    r32 = max(rel(g32[k], grads[k]) for k in grads if float(jnp.sum(grads[k] ** 2)) > 0)
    gnorm = math.sqrt(sum(float(jnp.sum(g * g)) for g in grads.values()))
    zero = [k for k in grads if not np.any(np.asarray(grads[k]))]
    print(f"  tiny-moe: loss {loss:.12f}  |grad| {gnorm:.10f}  routing margin {margin:.3e}  "
          f"max per-tensor rel(f32 grad, f64 grad) {r32:.2e}  all-zero grads: {zero}")
    gout = {k: np.asarray(v, dtype=np.float32) for k, v in grads.items()}
    gout["loss"] = np.asarray(loss, dtype=np.float64).reshape(())

    # (d) sequence-wise balance loss
    (total, (ce, bl, routing_a)), agrads = dsv3_aux_grad_jit(Wt, Wb, tokens, targets)
    assert float(ce) == loss
    for layer in routing:
        assert np.array_equal(np.asarray(routing_a[layer]["topk_idx"]),
                              np.asarray(routing[layer]["topk_idx"]))
    aux_names = [f"model.layers.{i}.mlp.gate.weight" for i in (1, 2, 3)] + [
        "model.layers.1.self_attn.q_a_proj.weight"]
    # independent numpy evaluation of the balance loss from the routing
    cfg = mg.DSV3_CFG
    E, K = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    Bq, Tq = tokens.shape
    for j, layer in enumerate(sorted(routing)):
        s = np.asarray(routing[layer]["scores"]).reshape(Bq, Tq, E)
        idx = np.asarray(routing[layer]["topk_idx"]).reshape(Bq, Tq, K)
        acc = 0.0
        for bb in range(Bq):
            for e in range(E):
                cnt = sum(1 for t in range(Tq) for k in range(K) if idx[bb, t, k] == e)
                fe = cnt * E / (K * Tq)
                pe = sum(s[bb, t, e] / s[bb, t].sum() for t in range(Tq)) / Tq
                acc += fe * pe
        ref = ALPHA * acc / Bq
        assert abs(ref - float(bl[j])) <= 1e-13 * ref, (ref, float(bl[j]))
    print("  tiny-moe aux-loss finite differences:")

    def aux_of(Wx):
        tot, (_, _, r) = dsv3_aux_jit(Wx, Wb, tokens, targets)
        return tot, r

    fd_check("aux", aux_of, Wt, agrads, aux_names, rng)
    print(f"  aux: ce {float(ce):.12f}  balance_loss {np.asarray(bl).tolist()}  "
          f"total {float(total):.12f}")
    for k in aux_names:
        print(f"    |grad {k}|: ce part {float(jnp.linalg.norm(grads[k])):.6e}, balance part "
              f"{float(jnp.linalg.norm(agrads[k] - grads[k])):.6e}")
    aout = {"loss": np.asarray(total, dtype=np.float64).reshape(()),
            "ce": np.asarray(ce, dtype=np.float64).reshape(()),
            "balance_loss": np.asarray(bl, dtype=np.float64)}
    for k in aux_names:
        aout["grad." + k] = np.asarray(agrads[k], dtype=np.float32)
    ameta = {"alpha": repr(ALPHA), "tokens": "golden.safetensors tokens",
             "targets": "golden.safetensors targets",
             "f": "count[b,e] * E / (K * T), constant (no gradient)",
             "P": "mean_t of sigmoid(x @ gate.weight^T) normalised over the E experts"}
    return wts, {"grads.safetensors": (gout, None), "aux.safetensors": (aout, ameta)}


# --------------------------------------------------------------------------
# (c): two training steps
# --------------------------------------------------------------------------

def make_train_data(seed, cfg, B, T):
    rng = np.random.default_rng(seed)
    V = cfg["vocab_size"]
    data = {}
    for s in range(STEPS):
        seq = rng.integers(0, V, size=(A, B, T + 1), dtype=np.int64).astype(np.int32)
        tokens = np.ascontiguousarray(seq[..., :-1])
        targets = np.ascontiguousarray(seq[..., 1:])           # next-token targets
        for a in range(A):
            ign = rng.choice(B * T, size=3, replace=False)
            targets[a].reshape(-1)[ign] = mg.IGNORE_INDEX
            assert int((targets[a] == mg.IGNORE_INDEX).sum()) == 3
        data[s] = (tokens, targets)
    return data


def lr_at(s):
    t = s + 1
    if t <= HP["warmup"]:
        return HP["lr_max"] * t / HP["warmup"]
    progress = min(1.0, (t - HP["warmup"]) / (HP["total"] - HP["warmup"]))
    lr_min = HP["lr_max"] * HP["min_lr_ratio"]
    return lr_min + (HP["lr_max"] - lr_min) * 0.5 * (1.0 + math.cos(math.pi * progress))


def decays(name):
    return not ("norm" in name or "bias" in name or "embed" in name)


def train(wts, data, C, dtype, log=None):
    """Two steps in jax at `dtype`.  Returns per-step records and final params."""
    Wt, Wb = split_bias({k: jnp.asarray(v.astype(dtype)) for k, v in wts.items()})
    m = {k: jnp.zeros_like(v) for k, v in Wt.items()}
    v = {k: jnp.zeros_like(x) for k, x in Wt.items()}
    b1, b2, eps, wd = HP["beta1"], HP["beta2"], HP["eps"], HP["weight_decay"]
    recs = []
    for s in range(STEPS):
        tokens, targets = data[s]
        losses, gs, loads, routings, margins = [], [], [], [], []
        for a in range(A):
            (la, ra), ga = dsv3_grad_jit(Wt, Wb, jnp.asarray(tokens[a]), jnp.asarray(targets[a]))
            margins.append(routing_margin(ra, f"{np.dtype(dtype).name} step {s} micro-batch {a}"))
            losses.append(la)
            gs.append(ga)
            loads.append(expert_load(mg.DSV3_CFG, ra))
            routings.append(routing_experts(ra))
        loss = sum(losses[1:], losses[0]) / A
        g = {k: sum((gi[k] for gi in gs[1:]), gs[0][k]) / A for k in Wt}
        load = sum(loads[1:], loads[0])
        gnorm = jnp.sqrt(sum(jnp.sum(x * x) for x in g.values()))
        factor = jnp.minimum(1.0, C / (gnorm + CLIP_EPS)) if C is not None else 1.0
        gc = {k: x * factor for k, x in g.items()}
        t = s + 1
        lr = lr_at(s)
        for k in Wt:
            m[k] = b1 * m[k] + (1 - b1) * gc[k]
            v[k] = b2 * v[k] + (1 - b2) * gc[k] * gc[k]
            p = Wt[k]
            if decays(k):
                p = p * (1 - lr * wd)
            Wt[k] = p - (lr / (1 - b1 ** t)) * m[k] / (jnp.sqrt(v[k]) / math.sqrt(1 - b2 ** t) + eps)
        for i, layer in enumerate((1, 2, 3)):
            k = f"model.layers.{layer}.{BIAS_SUFFIX}"
            sign = np.sign(load[i].mean() - load[i])
            Wb[k] = Wb[k] + HP["gamma"] * jnp.asarray(sign, dtype=dtype)
        recs.append({"loss": float(loss), "grad_norm": float(gnorm), "lr": lr, "load": load,
                     "grad": {k: np.asarray(x, dtype=np.float64) for k, x in g.items()},
                     "clipped": C is not None and float(gnorm) + CLIP_EPS > C,
                     "routing": routings, "margin": min(margins),
                     "params_after": {k: np.asarray(x, dtype=np.float64)
                                      for k, x in {**Wt, **Wb}.items()}})
    return recs, {**Wt, **Wb}


def numpy_reference(wts, recs, C):
    """Independent plain-numpy clipping / lr / AdamW (bias-corrected m_hat, v_hat
    form) / bias update from the jax gradients; compares with the jax run."""
    p = {k: v.astype(np.float64) for k, v in wts.items()}
    mom = {k: np.zeros(v.shape) for k, v in p.items() if not k.endswith(BIAS_SUFFIX)}
    vel = {k: np.zeros(p[k].shape) for k in mom}
    worst = 0.0
    for s, rec in enumerate(recs):
        g = rec["grad"]
        norm = math.sqrt(math.fsum(math.fsum(x.ravel() ** 2) for x in g.values()))
        assert abs(norm - rec["grad_norm"]) <= 1e-13 * norm
        clip = 1.0 if C is None else min(1.0, C / (norm + 1e-6))
        step = s + 1
        if step <= 1:
            lr = 1e-2 * step
        else:
            frac = min(1.0, (step - 1) / 2.0)
            lr = 1e-3 + 0.5 * (1e-2 - 1e-3) * (1.0 + math.cos(math.pi * frac))
        assert abs(lr - rec["lr"]) <= 1e-17, (lr, rec["lr"])
        for k in mom:
            gk = g[k] * clip
            mom[k] = 0.9 * mom[k] + 0.1 * gk
            vel[k] = 0.95 * vel[k] + 0.05 * np.square(gk)
            m_hat = mom[k] / (1.0 - 0.9 ** step)
            v_hat = vel[k] / (1.0 - 0.95 ** step)
            nodecay = any(w in k for w in ("norm", "bias", "embed"))
            upd = m_hat / (np.sqrt(v_hat) + 1e-8)
            p[k] = p[k] * (1.0 if nodecay else 1.0 - 0.1 * lr) - lr * upd
        for i in range(3):
            k = f"model.layers.{i + 1}.{BIAS_SUFFIX}"
            ld = rec["load"][i]
            assert ld.sum() == A * mg.DSV3_B * mg.DSV3_T * mg.DSV3_CFG["num_experts_per_tok"]
            p[k] = p[k] + np.array([1e-3 * (int(ld.mean() > x) - int(ld.mean() < x)) for x in ld])
        for k in p:
            ref = rec["params_after"][k]
            d = float(np.max(np.abs(p[k] - ref)))
            if d > 1e-15:
                print(f"    numpy reference: step {s} {k} max |diff| {d:.3e}")
            worst = max(worst, d)
    return worst, p


def elementwise_check(wts, recs, C, rng, n=4):
    """Pure-Python scalar loop (math module) for a few elements of every tensor."""
    worst = 0.0
    for k, w0 in wts.items():
        if k.endswith(BIAS_SUFFIX):
            continue
        flat = w0.astype(np.float64).ravel()
        for j in list(rng.integers(0, flat.size, size=n)) + [0, flat.size - 1]:
            x, mm, vv = float(flat[j]), 0.0, 0.0
            for s, rec in enumerate(recs):
                norm = rec["grad_norm"]
                gj = float(rec["grad"][k].ravel()[j])
                if C is not None and norm + 1e-6 > C:
                    gj = gj * (C / (norm + 1e-6))
                t = s + 1
                lr = rec["lr"]
                mm = 0.9 * mm + 0.1 * gj
                vv = 0.95 * vv + 0.05 * gj * gj
                if decays(k):
                    x = x - lr * 0.1 * x
                x = x - lr * (mm / (1 - 0.9 ** t)) / (math.sqrt(vv / (1 - 0.95 ** t)) + 1e-8)
                worst = max(worst, abs(x - float(rec["params_after"][k].ravel()[j])))
    return worst


def choose_clip(n0, n1):
    lo, hi = min(n0, n1), max(n0, n1)
    if hi >= 1.1 * lo:
        gm = math.sqrt(lo * hi)
        cands = [d * 10.0 ** e for e in range(-6, 6) for d in range(10, 100)]
        cands = [float(f"{c:.2g}") for c in cands]
        cands = [c for c in cands if lo < c < hi]
        if not cands:
            raise SystemExit(f"no 2-digit clip value between {lo} and {hi}")
        return min(cands, key=lambda c: abs(math.log(c / gm))), "between"
    return float(f"{0.5 * lo:.2g}"), "both"


def build_train(wts):
    cfg = mg.DSV3_CFG
    data = make_train_data(TRAIN_SEED, cfg, mg.DSV3_B, mg.DSV3_T)
    recs0, _ = train(wts, data, None, np.float64)
    n0, n1 = recs0[0]["grad_norm"], recs0[1]["grad_norm"]
    C, mode = choose_clip(n0, n1)
    print(f"  unclipped run: grad_norm step0 {n0:.10f} step1 {n1:.10f} -> clip_norm C = {C} "
          f"({'one step clipped' if mode == 'between' else 'both steps clipped'})")
    recs, params = train(wts, data, C, np.float64)
    clipped = [r["clipped"] for r in recs]
    if mode == "between":
        assert sum(clipped) == 1, clipped
    else:
        assert all(clipped), clipped

    # independent checks
    worst_np, _ = numpy_reference(wts, recs, C)
    worst_el = elementwise_check(wts, recs, C, np.random.default_rng(3))
    print(f"  numpy AdamW reference: max |diff| {worst_np:.2e} (vectorised), "
          f"{worst_el:.2e} (scalar loop)")
    if worst_np > 1e-15 or worst_el > 1e-15:
        raise SystemExit("AdamW check failed")
    # mean of micro-batch gradients == gradient on the concatenated [A*B, T] batch
    # (every micro-batch has 3 ignored positions, so the losses' denominators agree)
    for s in range(STEPS):
        W_before = split_bias({k: jnp.asarray(v) for k, v in
                               (recs[s - 1]["params_after"] if s else
                                {k: w.astype(np.float64) for k, w in wts.items()}).items()})
        tok, tgt = data[s]
        (lcat, _), gcat = dsv3_grad_jit(*W_before, jnp.asarray(tok.reshape(A * mg.DSV3_B, -1)),
                                        jnp.asarray(tgt.reshape(A * mg.DSV3_B, -1)))
        d = max(rel(gcat[k], recs[s]["grad"][k]) for k in gcat
                if np.any(recs[s]["grad"][k]))
        dl = abs(float(lcat) - recs[s]["loss"]) / recs[s]["loss"]
        print(f"  step {s}: concatenated-batch loss/grad vs micro-batch mean: "
              f"rel {dl:.1e} / max per-tensor rel {d:.1e}")
        if d > 1e-12 or dl > 1e-14:
            raise SystemExit("concatenated-batch check failed")
    # the clip-free run and the clipped run routed identically at step 0
    for a in range(A):
        for layer in recs[0]["routing"][a]:
            assert np.array_equal(recs[0]["routing"][a][layer], recs0[0]["routing"][a][layer])

    # float32 diagnostic (not stored)
    recs32, params32 = train(wts, data, C, np.float32)
    same = all(np.array_equal(recs32[s]["routing"][a][layer], recs[s]["routing"][a][layer])
               for s in range(STEPS) for a in range(A) for layer in recs[s]["routing"][a])
    same_load = all(np.array_equal(recs32[s]["load"], recs[s]["load"]) for s in range(STEPS))
    r_params = max(rel(params32[k], params[k]) for k in params)
    r_step0 = max(rel(recs32[0]["params_after"][k], recs[0]["params_after"][k])
                  for k in params)
    r_global = math.sqrt(sum(float(np.sum((np.asarray(params32[k], np.float64)
                                           - np.asarray(params[k])) ** 2)) for k in params)
                         / sum(float(np.sum(np.asarray(params[k]) ** 2)) for k in params))
    r_delta = max(rel(np.asarray(params32[k], np.float64) - wts[k].astype(np.float64),
                      np.asarray(params[k]) - wts[k].astype(np.float64)) for k in params)
    print(f"  float32 run: routing identical {same}, loads identical {same_load}, "
          f"loss rel {max(abs(recs32[s]['loss'] - recs[s]['loss']) / recs[s]['loss'] for s in range(STEPS)):.1e}, "
          f"grad_norm rel {max(abs(recs32[s]['grad_norm'] - recs[s]['grad_norm']) / recs[s]['grad_norm'] for s in range(STEPS)):.1e}, "
          f"params after step 0 max per-tensor rel {r_step0:.1e}, "
          f"final params max per-tensor rel {r_params:.1e} (all params together {r_global:.1e}), "
          f"update (params - initial) max per-tensor rel {r_delta:.1e}")

    margins = [min(r["margin"] for r in recs0), min(r["margin"] for r in recs)]
    meta = {k: repr(v) for k, v in HP.items()}
    meta.update({
        "clip_norm": repr(C),
        "clip_eps": repr(CLIP_EPS),
        "lr_min": repr(HP["lr_max"] * HP["min_lr_ratio"]),
        "micro_batches": str(A), "batch": str(mg.DSV3_B), "seq_len": str(mg.DSV3_T),
        "steps": str(STEPS), "data_seed": str(TRAIN_SEED),
        "ignore_index": str(mg.IGNORE_INDEX),
        "no_weight_decay": 'name contains "norm", "bias" or "embed"',
        "no_adamw": "*.mlp.gate.e_score_correction_bias (updated by gamma * sign(mean(load) - load))",
        "targets": "tokens shifted by one (next token), 3 positions per micro-batch = -100",
    })
    out = {}
    for s in range(STEPS):
        tok, tgt = data[s]
        r = recs[s]
        out[f"step{s}.tokens"] = tok
        out[f"step{s}.targets"] = tgt
        out[f"step{s}.loss"] = np.asarray(r["loss"], dtype=np.float64).reshape(())
        out[f"step{s}.grad_norm"] = np.asarray(r["grad_norm"], dtype=np.float64).reshape(())
        out[f"step{s}.lr"] = np.asarray(r["lr"], dtype=np.float64).reshape(())
        out[f"step{s}.expert_load"] = np.asarray(r["load"], dtype=np.float64)
        print(f"  step {s}: loss {r['loss']:.12f}  grad_norm {r['grad_norm']:.12f}  "
              f"lr {r['lr']!r}  clipped {r['clipped']}  routing margin {r['margin']:.3e}")
        for i in range(3):
            print(f"    expert_load layer {i + 1}: {r['load'][i].astype(int).tolist()}")
    print(f"  min routing margin over all 8 forward passes: {min(margins):.3e}")
    pout = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
    assert set(pout) == set(wts)
    for i in range(3):
        k = f"model.layers.{i + 1}.{BIAS_SUFFIX}"
        steps = np.round((np.asarray(params[k]) - wts[k].astype(np.float64)) / HP["gamma"])
        print(f"    bias change layer {i + 1} (units of gamma): {steps.astype(int).tolist()}")
    print("  hyperparameters (train_step.safetensors __metadata__):")
    for k in sorted(meta):
        print(f"    {k} = {meta[k]}")
    return {"train_step.safetensors": (out, meta), "train_step_params.safetensors": (pout, None)}


def main():
    print(f"jax {jax.__version__}, numpy {np.__version__}, ml_dtypes {ml_dtypes.__version__}, "
          f"python {sys.version.split()[0]}")
    outputs = {"tiny-dense": build_dense_grads()}
    wts_moe, moe_files = build_moe_grads_and_aux()
    outputs["tiny-moe"] = moe_files
    outputs["tiny-moe"].update(build_train(wts_moe))
    # all checks passed: write
    for d, files in outputs.items():
        for fn in sorted(files):
            tensors, meta = files[fn]
            path = os.path.join(HERE, d, fn)
            mg.write_safetensors(path, tensors, metadata=meta)
            back = read_safetensors(path)
            assert set(back) == set(tensors)
            for k, v in tensors.items():
                assert back[k].dtype == v.dtype and np.array_equal(back[k], v), (path, k)
            print(f"  {d + '/' + fn:40s} {os.path.getsize(path):9d} bytes  sha256 {sha256(path)}")


if __name__ == "__main__":
    main()
