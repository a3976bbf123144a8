"""Backward-pass cases (grad.mlir): attention_grad, moe_route_grad,
moe_ffn_grad.

Each gradient is computed by explicit formulas written here from the op
descriptions, and the formulas are checked in this script against central
differences of the forward ops' numpy implementations (model.py,
moe_loss.py), so a wrong formula fails the generation instead of becoming
a golden."""

import math

import numpy as np

from .common import F32, F64, I32, I64
from .elementwise import sigmoid
from .model import attention_np
from .moe_loss import moe_ffn_np
from .reduce import softmax_np
from .registry import case, normal, uniform


def check_gradient(f, inputs, cotangent, grads, h=1e-6, rtol=1e-6):
    """grads[name] must be d<f(inputs), cotangent>/d inputs[name]; checked by
    central differences along a few random directions per input."""
    r = np.random.default_rng(0)
    for name, grad in grads.items():
        for _ in range(3):
            direction = r.standard_normal(inputs[name].shape)
            plus = dict(inputs, **{name: inputs[name] + h * direction})
            minus = dict(inputs, **{name: inputs[name] - h * direction})
            numeric = np.sum((f(**plus) - f(**minus)) * cotangent) / (2 * h)
            exact = np.sum(grad * direction)
            scale = np.sqrt(np.sum(grad * grad) * np.sum(direction * direction))
            assert abs(numeric - exact) <= rtol * scale + 1e-9, (name, numeric, exact)


# --- attention_grad ---------------------------------------------------------

def attention_grad_np(q, k, v, do, causal=False, scale=None, window=None,
                      key_length=None):
    """dq, dk, dv of attention_np(q, k, v, ...) for the output cotangent do."""
    B, Tq, Hq, D = q.shape
    _, Tk, Hkv, Dv = v.shape
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    L = Tk if key_length is None else min(max(key_length, 0), Tk)
    pos = np.arange(Tq)[:, None] + L - Tq
    j = np.arange(Tk)[None, :]
    visible = np.broadcast_to(j < L, (Tq, Tk)).copy()
    if causal:
        visible &= j <= pos
    if window is not None:
        visible &= pos - j < window
    dq, dk, dv = np.zeros(q.shape), np.zeros(k.shape), np.zeros(v.shape)
    for b in range(B):
        for h in range(Hq):
            g = h // (Hq // Hkv)
            Q, K, V, dO = q[b, :, h], k[b, :, g], v[b, :, g], do[b, :, h]
            S = np.where(visible, scale * Q @ K.T, -np.inf)
            m = S.max(axis=1, keepdims=True)
            m[~np.isfinite(m)] = 0.0                 # rows that see no key
            P = np.where(visible, np.exp(S - m), 0.0)
            total = P.sum(axis=1, keepdims=True)
            P = np.divide(P, total, out=np.zeros_like(P), where=total > 0)
            O = P @ V
            dV = P.T @ dO
            dP = dO @ V.T
            dS = P * (dP - np.sum(dO * O, axis=1, keepdims=True))
            dq[b, :, h] = scale * dS @ K
            dk[b, :, g] += scale * dS.T @ Q
            dv[b, :, g] += dV
    return dq, dk, dv


def attention_grad_case(r, B, Tq, Tk, Hq, Hkv, D, Dv=None, **attrs):
    q, k = normal(r, (B, Tq, Hq, D)), normal(r, (B, Tk, Hkv, D))
    v, do = normal(r, (B, Tk, Hkv, Dv or D)), normal(r, (B, Tq, Hq, Dv or D))
    dq, dk, dv = attention_grad_np(q, k, v, do, **attrs)
    check_gradient(lambda q, k, v: attention_np(q, k, v, **attrs),
                   dict(q=q, k=k, v=v), do, dict(q=dq, k=dk, v=dv))
    return dict(q=q, k=k, v=v, do=do, dq=dq, dk=dk, dv=dv)


@case
def attention_grad_causal_f64(r):
    return attention_grad_case(r, 2, 4, 4, 2, 2, 3, causal=True)


@case
def attention_grad_full_scale_f64(r):
    # No mask, an explicit scale, Dqk != Dv, Tq < Tk.
    return attention_grad_case(r, 1, 3, 5, 2, 2, 4, 3, scale=0.3)


@case
def attention_grad_gqa_f64(r):
    # Hq = 4 query heads over Hkv = 2 key/value heads: dk and dv sum the
    # two query heads of each group.
    return attention_grad_case(r, 1, 5, 5, 4, 2, 3, causal=True)


@case
def attention_grad_window_tq_lt_tk_f64(r):
    # Causal with a sliding window of 3, Tq = 3 < Tk = 6 (queries at
    # positions 3..5), multi-query (Hkv = 1).
    return attention_grad_case(r, 1, 3, 6, 2, 1, 3, causal=True, window=3)


@case
def attention_grad_no_visible_key_f64(r):
    # Tq > Tk with causal: queries 0 and 1 see no key, so their gradient is
    # zero and they add nothing to dk and dv.
    out = attention_grad_case(r, 1, 4, 2, 2, 2, 3, causal=True)
    assert (out["dq"][0, :2] == 0).all()
    return out


@case
def attention_grad_f32(r):
    B, T, Hq, Hkv, D = 1, 4, 4, 2, 8
    q, k, v, do = (normal(r, s).astype(F32) for s in
                   ((B, T, Hq, D), (B, T, Hkv, D), (B, T, Hkv, D), (B, T, Hq, D)))
    f = lambda t: t.astype(F64)
    dq, dk, dv = attention_grad_np(f(q), f(k), f(v), f(do), causal=True, window=2)
    return dict(q=q, k=k, v=v, do=do, dq=dq.astype(F32), dk=dk.astype(F32),
                dv=dv.astype(F32))


# --- moe_route_grad ---------------------------------------------------------

def route_weights_np(logits, idx, scoring, norm, rsf):
    """ds.moe_route's weights for the given (fixed) choice of experts."""
    s = softmax_np(logits, 1) if scoring == "softmax" else sigmoid(logits)
    w = np.take_along_axis(s, idx.astype(np.int64), axis=1)
    if norm:
        w = w / (w.sum(axis=1, keepdims=True) + 1e-20)
    return w * rsf


def moe_route_grad_np(logits, idx, dw, scoring, norm, rsf):
    N, E = logits.shape
    out = np.zeros((N, E))
    for n in range(N):
        if scoring == "softmax":
            s = softmax_np(logits[n], 0)
            jac_s = np.diag(s) - np.outer(s, s)          # ds_a / dlogit_b
        else:
            s = sigmoid(logits[n])
            jac_s = np.diag(s * (1 - s))
        chosen = idx[n]
        # dw_k / ds_e, as a K x E matrix.
        jac_w = np.zeros((len(chosen), E))
        Z = s[chosen].sum() + 1e-20 if norm else 1.0
        for k, e in enumerate(chosen):
            jac_w[k, e] += rsf / Z
            if norm:
                for e2 in chosen:
                    jac_w[k, e2] -= rsf * s[e] / Z ** 2
        out[n] = dw[n] @ jac_w @ jac_s
    return out


def distinct_indices(r, N, E, K, dtype):
    return np.stack([r.permutation(E)[:K] for _ in range(N)]).astype(dtype)


def moe_route_grad_case(r, N, E, K, scoring, norm, rsf, idx_dtype=I32):
    logits, dw = normal(r, (N, E)), normal(r, (N, K))
    idx = distinct_indices(r, N, E, K, idx_dtype)
    out = moe_route_grad_np(logits, idx, dw, scoring, norm, rsf)
    check_gradient(lambda logits: route_weights_np(logits, idx, scoring, norm, rsf),
                   dict(logits=logits), dw, dict(logits=out))
    return dict(logits=logits, idx=idx, dw=dw, out=out)


@case
def moe_route_grad_sigmoid_norm_f64(r):
    return moe_route_grad_case(r, 5, 8, 3, "sigmoid", True, 2.5)


@case
def moe_route_grad_softmax_f64(r):
    # Softmax without renormalization: every logit of a token gets a
    # gradient, also the experts not chosen.
    return moe_route_grad_case(r, 4, 6, 2, "softmax", False, 1.5, I64)


@case
def moe_route_grad_softmax_norm_f64(r):
    return moe_route_grad_case(r, 3, 5, 2, "softmax", True, 1.0)


@case
def moe_route_grad_sigmoid_f32(r):
    N, E, K = 4, 8, 2
    logits, dw = normal(r, (N, E)).astype(F32), normal(r, (N, K)).astype(F32)
    idx = distinct_indices(r, N, E, K, I32)
    out = moe_route_grad_np(logits.astype(F64), idx, dw.astype(F64), "sigmoid", True, 2.0)
    return dict(logits=logits, idx=idx, dw=dw, out=out.astype(F32))


# --- moe_ffn_grad -----------------------------------------------------------

def moe_ffn_grad_np(x, w, idx, gate, up, down, dy):
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    dgate, dup, ddown = np.zeros_like(gate), np.zeros_like(up), np.zeros_like(down)
    for n in range(x.shape[0]):
        for k in range(idx.shape[1]):
            e = idx[n, k]
            g, u = gate[e] @ x[n], up[e] @ x[n]
            sg = sigmoid(g)
            h = g * sg * u
            y = down[e] @ h
            dw[n, k] = dy[n] @ y
            a = w[n, k] * dy[n]
            ddown[e] += np.outer(a, h)
            dh = down[e].T @ a
            du = dh * g * sg
            dg = dh * u * sg * (1 + g * (1 - sg))
            dgate[e] += np.outer(dg, x[n])
            dup[e] += np.outer(du, x[n])
            dx[n] += gate[e].T @ dg + up[e].T @ du
    return dict(dx=dx, dw=dw, dgate=dgate, dup=dup, ddown=ddown)


@case
def moe_ffn_grad_f64(r):
    N, D, I, E, K = 4, 5, 3, 4, 2
    x, w = normal(r, (N, D)), uniform(r, (N, K), 0.1, 1.0)
    idx = np.array([[2, 0], [1, 2], [2, 2], [0, 1]], I32)   # token 2 picks 2 twice
    gate, up, down = normal(r, (E, I, D)), normal(r, (E, I, D)), normal(r, (E, D, I))
    dy = normal(r, (N, D))
    grads = moe_ffn_grad_np(x, w, idx, gate, up, down, dy)
    assert (grads["dgate"][3] == 0).all()                     # expert 3 unused
    inputs = dict(x=x, w=w, gate=gate, up=up, down=down)
    check_gradient(lambda x, w, gate, up, down: moe_ffn_np(x, w, idx, gate, up, down),
                   inputs, dy, {name: grads["d" + name] for name in inputs})
    return dict(inputs, idx=idx, dy=dy, **grads)


@case
def moe_ffn_grad_f32(r):
    N, D, I, E, K = 3, 4, 6, 3, 3
    x, w = normal(r, (N, D)).astype(F32), uniform(r, (N, K), 0.1, 1.0).astype(F32)
    idx = np.array([[2, 0, 1], [1, 1, 2], [0, 2, 1]], I64)
    gate, up, down, dy = (normal(r, s).astype(F32)
                          for s in ((E, I, D), (E, I, D), (E, D, I), (N, D)))
    f = lambda t: t.astype(F64)
    grads = moe_ffn_grad_np(f(x), f(w), idx, f(gate), f(up), f(down), f(dy))
    return dict(x=x, w=w, idx=idx, gate=gate, up=up, down=down, dy=dy,
                **{name: g.astype(F32) for name, g in grads.items()})


@case
def attention_grad_key_length_f64(r):
    # Two causal queries (multi-query) into a cache of 6 slots of which 4 are
    # filled: the empty slots get zero dk and dv.
    out = attention_grad_case(r, 2, 2, 6, 2, 1, 3, causal=True, key_length=4)
    assert (out["dk"][:, 4:] == 0).all() and (out["dv"][:, 4:] == 0).all()
    out["len"] = np.array(4, I32)
    return out
