"""Model-op cases, rest of model.mlir: moe_route, moe_ffn, cross_entropy."""

import numpy as np

from .common import F32, F64, I32, I64
from .elementwise import sigmoid
from .reduce import softmax_np
from .registry import case, normal, uniform


# --- MoE --------------------------------------------------------------------

class NearTie(Exception):
    pass


def redraw(r, draw, tries=200):
    """Calls draw(r) until it returns without a NearTie (same seed, so the
    result is reproducible)."""
    for _ in range(tries):
        try:
            return draw(r)
        except NearTie:
            continue
    raise RuntimeError("no tie-free draw")


def moe_route_np(logits, bias, scoring, top_k, n_group, topk_group, group_score,
                 norm, rsf, min_gap=None):
    """Returns weights, indices. With min_gap, raises NearTie when the
    topk_group-th and next group scores, or any two of the top_k + 1 best
    selection scores left, are within min_gap of each other."""
    N, E = logits.shape
    if scoring == "softmax":
        s = softmax_np(logits, 1)
    else:
        s = sigmoid(logits)
    c = s + bias if bias is not None else s.copy()
    W = np.zeros((N, top_k))
    I = np.zeros((N, top_k), I32)
    gsz = E // n_group
    for n in range(N):
        allowed = np.ones(E, bool)
        if n_group > 1:
            groups = c[n].reshape(n_group, gsz)
            if group_score == "max":
                gs = groups.max(axis=1)
            else:
                gs = np.sort(groups, axis=1)[:, -2:].sum(axis=1)
            order = sorted(range(n_group), key=lambda g: -gs[g])
            if min_gap is not None and topk_group < n_group:
                if gs[order[topk_group - 1]] - gs[order[topk_group]] <= min_gap:
                    raise NearTie(f"token {n}: group scores")
            allowed[:] = False
            for g in order[:topk_group]:
                allowed[g * gsz:(g + 1) * gsz] = True
        cand = [e for e in range(E) if allowed[e]]
        # Descending selection score, ties to the lower index.
        cand.sort(key=lambda e: (-c[n, e], e))
        if min_gap is not None:
            top = [c[n, e] for e in cand[:top_k + 1]]
            if not all(a - b > min_gap for a, b in zip(top, top[1:])):
                raise NearTie(f"token {n}: expert scores")
        chosen = cand[:top_k]
        w = s[n, chosen]
        if norm:
            w = w / (w.sum() + 1e-20)
        W[n] = w * rsf
        I[n] = chosen
    return W, I


@case
def moe_route_softmax_f64(r):
    def draw(r):
        logits = normal(r, (5, 8))
        w, i = moe_route_np(logits, None, "softmax", 2, 1, 1, "max", False, 1.0, 1e-3)
        return dict(logits=logits, weights=w, indices=i)
    return redraw(r, draw)


@case
def moe_route_sigmoid_top2_f64(r):
    # DeepSeek-V3: sigmoid scores, a selection bias, 4 groups of 4 experts
    # ranked by the sum of their two best, the best 2 groups kept.
    def draw(r):
        logits, bias = normal(r, (6, 16)), normal(r, (16,), 0.1)
        w, i = moe_route_np(logits, bias, "sigmoid", 4, 4, 2, "top2_sum", True, 2.5, 1e-3)
        # The bias and the group limit must matter somewhere.
        _, i0 = moe_route_np(logits, None, "sigmoid", 4, 4, 2, "top2_sum", True, 2.5)
        _, i1 = moe_route_np(logits, bias, "sigmoid", 4, 1, 1, "top2_sum", True, 2.5)
        if (i0 == i).all() or (i1 == i).all():
            raise NearTie("bias or group limit without effect")
        return dict(logits=logits, bias=bias, weights=w, indices=i)
    return redraw(r, draw)


@case
def moe_route_softmax_group_max_f64(r):
    # DeepSeek-V2: softmax scores, 3 groups of 4 ranked by their maximum.
    def draw(r):
        logits, bias = normal(r, (6, 12), 2), normal(r, (12,), 0.05)
        w, i = moe_route_np(logits, bias, "softmax", 3, 3, 2, "max", True, 1.5, 1e-3)
        _, i1 = moe_route_np(logits, bias, "softmax", 3, 1, 1, "max", True, 1.5)
        if (i1 == i).all():
            raise NearTie("group limit without effect")
        return dict(logits=logits, bias=bias, weights=w, indices=i)
    return redraw(r, draw)


@case
def moe_route_sigmoid_nonorm_f64(r):
    def draw(r):
        logits = normal(r, (4, 6))
        w, i = moe_route_np(logits, None, "sigmoid", 3, 2, 1, "top2_sum", False, 16.0, 1e-3)
        return dict(logits=logits, weights=w, indices=i)
    return redraw(r, draw)


@case
def moe_route_ties_f64(r):
    # Exactly equal scores: the lower expert index comes first.
    logits = np.array([[0.5, 1.0, 0.5, 1.0, -2.0, 1.0],
                       [0.25, 0.25, 0.25, 0.25, 0.25, 0.25],
                       [-1.0, 3.0, -1.0, 2.0, 3.0, -1.0]])
    w, i = moe_route_np(logits, None, "sigmoid", 3, 1, 1, "max", False, 1.0)
    assert i.tolist() == [[1, 3, 5], [0, 1, 2], [1, 4, 3]]
    return dict(logits=logits, weights=w, indices=i)


@case
def moe_route_f32(r):
    def draw(r):
        logits, bias = normal(r, (4, 8)).astype(F32), normal(r, (8,), 0.1).astype(F32)
        w, i = moe_route_np(logits.astype(F64), bias.astype(F64), "sigmoid", 2, 2, 1,
                            "top2_sum", True, 2.0, 1e-3)
        return dict(logits=logits, bias=bias, weights=w.astype(F32), indices=i)
    return redraw(r, draw)


def silu(x):
    return x * sigmoid(x)


def moe_ffn_np(x, w, idx, gate, up, down):
    out = np.zeros_like(x)
    for n in range(x.shape[0]):
        for k in range(idx.shape[1]):
            e = idx[n, k]
            h = silu(gate[e] @ x[n]) * (up[e] @ x[n])
            out[n] += w[n, k] * (down[e] @ h)
    return out


@case
def moe_ffn_f64(r):
    N, D, I, E, K = 4, 6, 5, 3, 2
    x, w = normal(r, (N, D)), uniform(r, (N, K), 0.1, 1.0)
    idx = np.array([[2, 0], [1, 2], [0, 1], [2, 1]], I32)
    gate, up, down = normal(r, (E, I, D)), normal(r, (E, I, D)), normal(r, (E, D, I))
    return dict(x=x, w=w, idx=idx, gate=gate, up=up, down=down,
                out=moe_ffn_np(x, w, idx, gate, up, down))


@case
def moe_ffn_f32(r):
    N, D, I, E, K = 3, 4, 6, 4, 3
    x, w = normal(r, (N, D)).astype(F32), uniform(r, (N, K), 0.1, 1.0).astype(F32)
    idx = np.array([[3, 0, 1], [1, 1, 2], [0, 3, 2]], I64)   # an expert twice
    gate, up, down = (normal(r, s).astype(F32) for s in ((E, I, D), (E, I, D), (E, D, I)))
    f = lambda t: t.astype(F64)
    return dict(x=x, w=w, idx=idx, gate=gate, up=up, down=down,
                out=moe_ffn_np(f(x), f(w), idx, f(gate), f(up), f(down)).astype(F32))


# --- cross-entropy ----------------------------------------------------------

def cross_entropy_np(logits, targets, ignore_index=-100):
    V = logits.shape[-1]
    lg, t = logits.reshape(-1, V), targets.reshape(-1)
    keep = t != ignore_index
    if not keep.any():
        return np.array(0.0)
    m = lg.max(axis=1)
    lse = m + np.log(np.exp(lg - m[:, None]).sum(axis=1))
    losses = lse[keep] - lg[keep, t[keep]]
    return np.array(losses.mean())


@case
def cross_entropy_f64(r):
    logits = normal(r, (2, 3, 7), 2)
    targets = r.integers(0, 7, (2, 3)).astype(I32)
    targets[0, 1] = targets[1, 2] = -100
    return dict(logits=logits, targets=targets, loss=cross_entropy_np(logits, targets))


@case
def cross_entropy_ignore_index_f64(r):
    logits = normal(r, (6, 5), 3)
    targets = np.array([3, 0, 4, 3, 1, 2], I64)
    # -100 is an ordinary (out-of-range) value only when it is not ignored,
    # so it is not used here; class 3 is ignored instead.
    return dict(logits=logits, targets=targets, loss=cross_entropy_np(logits, targets, 3))


@case
def cross_entropy_all_ignored_f64(r):
    logits = normal(r, (2, 4))
    targets = np.array([-100, -100], I32)
    return dict(logits=logits, targets=targets, loss=cross_entropy_np(logits, targets))


@case
def cross_entropy_f32(r):
    logits = (normal(r, (5, 11), 4) + 50).astype(F32)
    targets = r.integers(0, 11, (5,)).astype(I32)
    targets[2] = -100
    return dict(logits=logits, targets=targets,
                loss=cross_entropy_np(logits.astype(F64), targets).astype(F32))
