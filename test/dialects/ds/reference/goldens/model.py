"""Model-op cases, first part of model.mlir: matmul, rms_norm / layer_norm,
rope, attention."""

import math

import numpy as np

from .common import BF16, E4M3, E5M2, F32, F64, I32, I64
from .registry import bf16_rand, case, normal
from .rounding import round_to


# --- matmul -----------------------------------------------------------------

def mm(a, b, ta=False, tb=False):
    if ta:
        a = np.swapaxes(a, -1, -2)
    if tb:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


@case
def matmul_f64(r):
    a, b = normal(r, (3, 4)), normal(r, (4, 5))
    return dict(a=a, b=b, out=mm(a, b))


@case
def matmul_batched_f64(r):
    a, b = normal(r, (2, 3, 4)), normal(r, (2, 4, 5))
    return dict(a=a, b=b, out=mm(a, b))


@case
def matmul_bcast_f64(r):
    a, b = normal(r, (2, 1, 3, 4)), normal(r, (3, 4, 5))
    return dict(a=a, b=b, out=mm(a, b))


@case
def matmul_rank3_rank2_f64(r):
    a, b = normal(r, (2, 3, 4)), normal(r, (4, 5))
    return dict(a=a, b=b, out=mm(a, b))


@case
def matmul_transpose_f64(r):
    a1, b1 = normal(r, (2, 4, 3)), normal(r, (4, 5))      # transpose_lhs
    a2, b2 = normal(r, (3, 4)), normal(r, (2, 5, 4))      # transpose_rhs
    a3, b3 = normal(r, (4, 3)), normal(r, (5, 4))         # both
    return dict(a1=a1, b1=b1, a2=a2, b2=b2, a3=a3, b3=b3,
                tl=mm(a1, b1, ta=True), tr=mm(a2, b2, tb=True), tlr=mm(a3, b3, True, True))


@case
def matmul_f32(r):
    a, b = normal(r, (2, 3, 8)).astype(F32), normal(r, (4, 8)).astype(F32)
    return dict(a=a, b=b, out=mm(a.astype(F64), b.astype(F64), tb=True).astype(F32))


@case
def matmul_bf16_f32(r):
    a, b = bf16_rand(r, (3, 16)), bf16_rand(r, (16, 4))
    return dict(a=a, b=b, out=mm(a.astype(F64), b.astype(F64)).astype(F32))


@case
def matmul_bf16_exact(r):
    # Multiples of 1/4 below 4: the products and sums are exact in f32, so
    # the bf16 result is the exact product rounded once.
    a = round_to(r.integers(-16, 16, (2, 3, 8)) / 4.0, BF16)
    b = round_to(r.integers(-16, 16, (8, 5)) / 4.0, BF16)
    return dict(a=a, b=b, out=round_to(mm(a.astype(F64), b.astype(F64)), BF16))


@case
def matmul_fp8_mixed(r):
    a = round_to(r.integers(-8, 9, (3, 6)) / 2.0, E4M3)
    b = round_to(r.integers(-8, 9, (6, 4)) * 4.0, E5M2)
    return dict(a=a, b=b, out=mm(a.astype(F64), b.astype(F64)).astype(F32))


# --- norms ------------------------------------------------------------------

def rms_norm_np(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def layer_norm_np(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps) * w
    return y + b if b is not None else y


@case
def rms_norm_f64(r):
    x, w = normal(r, (2, 3, 8)), 1 + normal(r, (8,), 0.1)
    return dict(x=x, w=w, out=rms_norm_np(x, w, 1e-6), out_eps=rms_norm_np(x * 0.01, w, 0.5))


@case
def rms_norm_f32(r):
    x, w = normal(r, (4, 16)).astype(F32), (1 + normal(r, (16,), 0.1)).astype(F32)
    return dict(x=x, w=w, out=rms_norm_np(x.astype(F64), w.astype(F64), 1e-5).astype(F32))


@case
def layer_norm_f64(r):
    x, w, b = 3 + normal(r, (2, 3, 8), 2), 1 + normal(r, (8,), 0.1), normal(r, (8,), 0.1)
    return dict(x=x, w=w, b=b, out=layer_norm_np(x, w, b, 1e-5),
                out_nobias=layer_norm_np(x, w, None, 1e-5))


@case
def layer_norm_f32(r):
    x, w, b = normal(r, (4, 16)).astype(F32), (1 + normal(r, (16,), 0.1)).astype(F32), \
        normal(r, (16,), 0.1).astype(F32)
    return dict(x=x, w=w, b=b,
                out=layer_norm_np(x.astype(F64), w.astype(F64), b.astype(F64), 1e-5).astype(F32))


# --- rope -------------------------------------------------------------------

def yarn_mscale(s, k):
    return 0.1 * k * math.log(s) + 1.0 if s > 1 else 1.0


def rope_freqs(theta, dim, yarn=None):
    """Inverse frequencies f_i (i < dim/2) and the magnitude scale."""
    i = np.arange(dim // 2, dtype=F64)
    f = theta ** (-2.0 * i / dim)
    if yarn is None:
        return f, 1.0
    factor, L = yarn["factor"], yarn["original_max_position"]
    bf, bs = yarn.get("beta_fast", 32.0), yarn.get("beta_slow", 1.0)
    ms, msa = yarn.get("mscale", 1.0), yarn.get("mscale_all_dim", 0.0)
    d = dim
    low = math.floor(d * math.log(L / (bf * 2 * math.pi)) / (2 * math.log(theta)))
    high = math.ceil(d * math.log(L / (bs * 2 * math.pi)) / (2 * math.log(theta)))
    # Clamped to [0, d - 1] (dialects/ds/DsBase.td, as Hugging Face does).
    low, high = max(low, 0), min(high, d - 1)
    ramp = np.clip((i - low) / max(high - low, 0.001), 0.0, 1.0)
    f = f / factor * ramp + f * (1.0 - ramp)
    return f, yarn_mscale(factor, ms) / yarn_mscale(factor, msa)


def rope_np(x, pos, style, theta, offset, dim, yarn=None):
    """x: [..., T, H, D]; pos: [..., T] or [T]."""
    f, m = rope_freqs(theta, dim, yarn)
    pos = np.asarray(pos, F64)
    a = pos[..., None] * f                       # [..., T, dim/2]
    cos, sin = np.cos(a)[..., None, :], np.sin(a)[..., None, :]  # add the H axis
    y = x.copy()
    if style == "interleaved":
        i1 = offset + 2 * np.arange(dim // 2)
        i2 = i1 + 1
    else:
        i1 = offset + np.arange(dim // 2)
        i2 = i1 + dim // 2
    x1, x2 = x[..., i1], x[..., i2]
    y[..., i1] = (x1 * cos - x2 * sin) * m
    y[..., i2] = (x2 * cos + x1 * sin) * m
    return y


@case
def rope_interleaved_f64(r):
    x = normal(r, (2, 4, 3, 8))
    pos = r.integers(0, 60, (4,)).astype(I32)
    return dict(x=x, pos=pos, out=rope_np(x, pos, "interleaved", 10000.0, 0, 8))


@case
def rope_half_f64(r):
    # Channels [2, 8) of 10 rotate; positions per batch row.
    x = normal(r, (2, 4, 2, 10))
    pos = r.integers(0, 200, (2, 4)).astype(I64)
    return dict(x=x, pos=pos, out=rope_np(x, pos, "half", 500.0, 2, 6))


@case
def rope_partial_interleaved_f64(r):
    x = normal(r, (1, 3, 2, 12))
    pos = np.array([0, 7, 31], I32)
    return dict(x=x, pos=pos, out=rope_np(x, pos, "interleaved", 10000.0, 4, 6))


YARN_DSV2 = dict(factor=40.0, original_max_position=4096, beta_fast=32.0, beta_slow=1.0,
                 mscale=1.0, mscale_all_dim=0.5)
YARN_CLAMP = dict(factor=4.0, original_max_position=256)


@case
def rope_yarn_interleaved_f64(r):
    x = normal(r, (2, 3, 2, 20))
    pos = r.integers(0, 500, (2, 3)).astype(I32)
    return dict(x=x, pos=pos,
                out=rope_np(x, pos, "interleaved", 10000.0, 4, 16, YARN_DSV2))


@case
def rope_yarn_half_f64(r):
    # theta = 100, d = 8, L = 256: low = 0 and high = 4 exceeds d/2 - 1, so
    # the [0, d - 1] clamp leaves it at 4 (ramp i/4), not 3 (ramp i/3). The
    # default mscale = 1, mscale_all_dim = 0 scale by 0.1 ln 4 + 1.
    f, _ = rope_freqs(100.0, 8, YARN_CLAMP)
    base, _ = rope_freqs(100.0, 8)
    ramp = (base - f) / (base - base / 4.0)
    assert np.allclose(ramp, [0, 0.25, 0.5, 0.75]), ramp
    x = normal(r, (1, 5, 2, 12))
    pos = np.array([0, 3, 50, 400, 1000], I32)
    return dict(x=x, pos=pos, out=rope_np(x, pos, "half", 100.0, 2, 8, YARN_CLAMP))


@case
def rope_f32(r):
    x = normal(r, (2, 3, 2, 8)).astype(F32)
    pos = np.array([1, 9, 77], I32)
    return dict(x=x, pos=pos,
                out=rope_np(x.astype(F64), pos, "interleaved", 10000.0, 0, 8).astype(F32))


def rope_adjoint_np(y, pos, style, theta, offset, dim, yarn=None):
    """The transpose of rope_np: each pair rotated by -angle, same magnitude."""
    f, m = rope_freqs(theta, dim, yarn)
    pos = np.asarray(pos, F64)
    a = pos[..., None] * f
    cos, sin = np.cos(a)[..., None, :], np.sin(a)[..., None, :]
    x = y.copy()
    if style == "interleaved":
        i1 = offset + 2 * np.arange(dim // 2)
        i2 = i1 + 1
    else:
        i1 = offset + np.arange(dim // 2)
        i2 = i1 + dim // 2
    y1, y2 = y[..., i1], y[..., i2]
    x[..., i1] = (y1 * cos + y2 * sin) * m
    x[..., i2] = (y2 * cos - y1 * sin) * m
    return x


def rope_adjoint_case(r, shape, pos, *args):
    """The adjoint by its direct formula, and <rope(x), y> (from the forward
    formula) as the expected value of both <rope(x), y> and <x, rope^T(y)>."""
    x, y = normal(r, shape), normal(r, shape)
    adj = rope_adjoint_np(y, pos, *args)
    dot = np.sum(rope_np(x, pos, *args) * y)
    assert abs(dot - np.sum(x * adj)) < 1e-12 * np.sum(np.abs(x) * np.abs(y))
    return dict(x=x, y=y, pos=pos, adj=adj, dot_fwd=np.array(dot), dot_adj=np.array(dot))


@case
def rope_adjoint_interleaved_f64(r):
    # DeepSeek-V2's YaRN (magnitude scale != 1), partial rotation, positions
    # per batch row.
    pos = r.integers(0, 500, (2, 3)).astype(I32)
    return rope_adjoint_case(r, (2, 3, 2, 20), pos, "interleaved", 10000.0, 4, 16, YARN_DSV2)


@case
def rope_adjoint_half_f64(r):
    pos = np.array([0, 3, 50, 400, 1000], I64)
    return rope_adjoint_case(r, (1, 5, 2, 12), pos, "half", 100.0, 2, 8, YARN_CLAMP)


@case
def rope_adjoint_f32(r):
    y = normal(r, (2, 3, 2, 8)).astype(F32)
    pos = np.array([1, 9, 77], I32)
    return dict(y=y, pos=pos, adj=rope_adjoint_np(y.astype(F64), pos, "interleaved",
                                                  10000.0, 0, 8).astype(F32))


# --- attention --------------------------------------------------------------

def attention_np(q, k, v, causal=False, scale=None, window=None,
                 key_length=None):
    B, Tq, Hq, D = q.shape
    _, Tk, Hkv, Dv = v.shape
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    # Only the first L keys hold data; queries are the last Tq of them.
    L = Tk if key_length is None else min(max(key_length, 0), Tk)
    out = np.zeros((B, Tq, Hq, Dv))
    for b in range(B):
        for i in range(Tq):
            p = i + L - Tq
            for h in range(Hq):
                g = h // (Hq // Hkv)
                js = [j for j in range(L)
                      if (not causal or j <= p) and (window is None or p - j < window)]
                if not js:
                    continue                       # sees no key: zeros
                s = np.array([scale * np.dot(q[b, i, h], k[b, j, g]) for j in js])
                w = np.exp(s - s.max())
                w /= w.sum()
                out[b, i, h] = sum(wj * v[b, j, g] for wj, j in zip(w, js))
    return out


def qkv(r, B, Tq, Tk, Hq, Hkv, D, Dv=None):
    return (normal(r, (B, Tq, Hq, D)), normal(r, (B, Tk, Hkv, D)),
            normal(r, (B, Tk, Hkv, Dv or D)))


@case
def attention_causal_f64(r):
    q, k, v = qkv(r, 2, 4, 4, 2, 2, 3)
    return dict(q=q, k=k, v=v, out=attention_np(q, k, v, causal=True))


@case
def attention_full_f64(r):
    q, k, v = qkv(r, 1, 3, 5, 2, 2, 4)
    return dict(q=q, k=k, v=v, out=attention_np(q, k, v))


@case
def attention_gqa_f64(r):
    q, k, v = qkv(r, 1, 5, 5, 4, 2, 3)
    return dict(q=q, k=k, v=v, out=attention_np(q, k, v, causal=True))


@case
def attention_causal_tq_lt_tk_f64(r):
    q, k, v = qkv(r, 2, 2, 5, 2, 1, 3)
    return dict(q=q, k=k, v=v, out=attention_np(q, k, v, causal=True))


@case
def attention_window_f64(r):
    q, k, v = qkv(r, 1, 6, 6, 2, 2, 3)
    q2, k2, v2 = qkv(r, 1, 3, 6, 2, 1, 3)
    return dict(q=q, k=k, v=v, q2=q2, k2=k2, v2=v2,
                out=attention_np(q, k, v, causal=True, window=2),
                out2=attention_np(q2, k2, v2, causal=True, window=3))


@case
def attention_scale_dv_f64(r):
    q, k, v = qkv(r, 2, 3, 4, 2, 1, 6, 4)
    return dict(q=q, k=k, v=v, out=attention_np(q, k, v, scale=0.3),
                out_causal=attention_np(q, k, v, causal=True, scale=0.3))


@case
def attention_no_visible_key_f64(r):
    # Tq > Tk with causal: queries 0 and 1 sit at positions -2 and -1.
    q, k, v = qkv(r, 1, 4, 2, 2, 2, 3)
    out = attention_np(q, k, v, causal=True)
    assert (out[0, :2] == 0).all()
    return dict(q=q, k=k, v=v, out=out)


@case
def attention_key_length_f64(r):
    # A KV cache of Tk = 6 slots. One decoding query per sequence (multi-query,
    # Hq = 4, Hkv = 1) over 3 filled slots; two causal queries over 4; the
    # same non-causal over 2; a length past Tk (9) is clamped to 6.
    q, k, v = qkv(r, 2, 1, 6, 4, 1, 3)
    q2, k2, v2 = qkv(r, 1, 2, 6, 2, 2, 3)
    return dict(q=q, k=k, v=v, q2=q2, k2=k2, v2=v2,
                len=np.array(3, I32), len2=np.array(4, I32),
                len3=np.array(2, I64), len4=np.array(9, I32),
                out=attention_np(q, k, v, causal=True, key_length=3),
                out2=attention_np(q2, k2, v2, causal=True, key_length=4),
                out3=attention_np(q2, k2, v2, key_length=2),
                out4=attention_np(q2, k2, v2, causal=True, key_length=9))


@case
def attention_f32(r):
    q, k, v = (t.astype(F32) for t in qkv(r, 1, 4, 4, 2, 1, 8))
    return dict(q=q, k=k, v=v, out=attention_np(*(t.astype(F64) for t in (q, k, v)),
                                                  causal=True).astype(F32))
