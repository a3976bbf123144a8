#!/usr/bin/env python3
"""Per-op golden data for the reference interpreter's lit tests.

Writes one safetensors file per test case into Inputs/ next to this script:
Inputs/<case>.safetensors holds the case's inputs *and* its expected outputs
(distinct tensor names), and the lit tests in this directory run

    ds-interp <family>.mlir --entry=<case> --inputs=Inputs/<case>.safetensors \
        --compare=Inputs/<case>.safetensors --rtol=...

The expected values are computed here in plain numpy (plus ml_dtypes for the
bf16 / fp8 storage types) from the op descriptions in docs/dialect/ds.md and
dialects/ds/*.td -- never from the interpreter's C++. Every case draws its
data from its own numpy Generator seeded with (SEED, crc32(case name)), so the
files are reproducible and adding a case does not change the others.

Rounding to the narrow float types is done by `round_to`, an exact
round-to-nearest-even of the float64 value (with subnormals, E4M3FN
saturation, IEEE overflow to infinity). ml_dtypes is only used to store the
values (and to cross-check `round_to` on float32-representable inputs):
ml_dtypes converts float64 to bf16 / fp8 through float32, which rounds twice.

Low-precision arithmetic follows the dialect's rule "computed as if in f32
and rounded once to the result type".

Regenerate (from the repository root; numpy 2.4.6, ml_dtypes 0.6.0):

    python3 test/dialects/ds/reference/make_op_goldens.py

The script writes the files with a fixed byte layout; rerunning it rewrites
the same bytes (the transcendental functions come from numpy / libm and may
differ in the last bit on another platform, far below the tests' rtol).
"""

import json
import math
import os
import struct
import sys
import zlib

import numpy as np
import ml_dtypes as md

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Inputs")
SEED = 20240917

F64, F32, F16 = np.float64, np.float32, np.float16
BF16, E4M3, E5M2 = md.bfloat16, md.float8_e4m3fn, md.float8_e5m2
I64, I32, I16, I8, BOOL = np.int64, np.int32, np.int16, np.int8, np.bool_

# ---------------------------------------------------------------------------
# safetensors writer: 8-byte little-endian header length, JSON header (keys
# sorted, padded with spaces to a multiple of 8), raw little-endian data laid
# out in sorted-name order.
# ---------------------------------------------------------------------------

_ST_DTYPE = {
    np.dtype(F64): "F64", np.dtype(F32): "F32", np.dtype(F16): "F16",
    np.dtype(BF16): "BF16", np.dtype(E4M3): "F8_E4M3", np.dtype(E5M2): "F8_E5M2",
    np.dtype(I64): "I64", np.dtype(I32): "I32", np.dtype(I16): "I16",
    np.dtype(I8): "I8", np.dtype(BOOL): "BOOL",
}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.array(tensors[name], order="C", copy=True)  # keeps rank 0
        if arr.dtype not in _ST_DTYPE:
            raise TypeError(f"{path}: {name}: unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _ST_DTYPE[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---------------------------------------------------------------------------
# Exact rounding of float64 values to the narrow formats.
# ---------------------------------------------------------------------------

# mantissa bits, smallest normal exponent, largest finite, has infinity
_FORMATS = {
    F32: (23, -126, float(np.finfo(np.float32).max), True),
    F16: (10, -14, 65504.0, True),
    BF16: (7, -126, float(md.finfo(BF16).max), True),
    E4M3: (3, -6, 448.0, False),   # no infinity: saturates to +-448
    E5M2: (2, -14, 57344.0, True),
}


def _round_scalar(x, fmt):
    mant, emin, maxfin, has_inf = _FORMATS[fmt]
    if math.isnan(x):
        return x
    if math.isinf(x):
        return x if has_inf else math.copysign(maxfin, x)
    if x == 0.0:
        return x
    _, e = math.frexp(abs(x))            # |x| = m * 2^e, m in [0.5, 1)
    quantum = math.ldexp(1.0, max(e - 1, emin) - mant)
    r = round(abs(x) / quantum) * quantum  # Python's round(): ties to even
    if r > maxfin:
        r = math.inf if has_inf else maxfin
    return math.copysign(r, x)


def round_to(x, fmt):
    """float64 array -> array of dtype `fmt`, rounded once, to nearest even."""
    x = np.asarray(x, dtype=F64)
    if fmt is F64:
        return x.copy()
    flat = np.array([_round_scalar(float(v), fmt) for v in x.reshape(-1)], F64)
    out = flat.reshape(x.shape).astype(fmt)
    # The conversion to the storage type must be exact.
    back = out.astype(F64).reshape(-1)
    ok = (back == flat) | (np.isnan(back) & np.isnan(flat))
    assert ok.all(), (fmt, x, flat, back)
    return out


def lowp(fn, fmt, *args):
    """A low-precision op: computed as if in f32, rounded once to `fmt`."""
    f32_args = [np.asarray(a).astype(F32) for a in args]
    with np.errstate(all="ignore"):
        r = np.asarray(fn(*f32_args)).astype(F32)
    return round_to(r.astype(F64), fmt)


def self_check_rounding():
    rng = np.random.default_rng(SEED)
    x = (rng.standard_normal(4000) * np.exp2(rng.integers(-30, 30, 4000))).astype(F32)
    for fmt, mldt in ((BF16, BF16), (F16, F16), (E5M2, E5M2)):
        with np.errstate(all="ignore"):
            a = round_to(x.astype(F64), fmt).astype(F64)
            b = x.astype(mldt).astype(F64)
        assert ((a == b) | (np.isnan(a) & np.isnan(b))).all(), fmt
    # ml_dtypes turns E4M3FN overflow into NaN; the dialect saturates.
    small = x[np.abs(x) < 464]
    a = round_to(small.astype(F64), E4M3).astype(F64)
    b = small.astype(E4M3).astype(F64)
    assert (a == b).all()
    # f64 -> f32 in numpy rounds once.
    y = rng.standard_normal(1000) * np.exp2(rng.integers(-140, 120, 1000))
    assert (round_to(y, F32) == y.astype(F32)).all()


# ---------------------------------------------------------------------------
# Case registry
# ---------------------------------------------------------------------------

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def rng_for(name):
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def normal(rng, shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def uniform(rng, shape, lo, hi):
    return rng.uniform(lo, hi, shape)


def ints(rng, shape, lo, hi, dtype=I32):
    """Random integers in [lo, hi], never all zero."""
    while True:
        v = rng.integers(lo, hi + 1, shape).astype(dtype)
        if np.count_nonzero(v) > v.size // 2 or v.size == 0:
            return v


def nonzero_ints(rng, shape, lo, hi, dtype=I32):
    v = rng.integers(lo, hi + 1, shape)
    v[v == 0] = 1
    return v.astype(dtype)


def bf16_rand(rng, shape, scale=1.0):
    return round_to(normal(rng, shape, scale), BF16)


# --- elementwise ------------------------------------------------------------

@case
def add_f64(r):
    a, b = normal(r, (3, 4)), normal(r, (4,))
    return dict(a=a, b=b, out=a + b)


@case
def add_bcast_f64(r):
    a, b = normal(r, (2, 1, 4)), normal(r, (3, 1))
    return dict(a=a, b=b, out=a + b)


@case
def sub_f64(r):
    a, b = normal(r, (3, 4)), normal(r, (3, 1))
    return dict(a=a, b=b, out=a - b)


@case
def mul_f64(r):
    a, b = normal(r, (2, 3)), np.array(normal(r, ()))
    return dict(a=a, b=b, out=a * b)


@case
def div_f64(r):
    a = normal(r, (3, 4))
    b = uniform(r, (1, 4), 0.5, 2.0) * np.array([1, -1, 1, -1])
    return dict(a=a, b=b, out=a / b)


@case
def max_f64(r):
    a, b = normal(r, (3, 4)), normal(r, (4,))
    return dict(a=a, b=b, out=np.maximum(a, b))


@case
def min_f64(r):
    a, b = normal(r, (3, 4)), normal(r, (3, 1))
    return dict(a=a, b=b, out=np.minimum(a, b))


@case
def max_min_nan_f64(r):
    # "max(lhs, rhs) (NaN if either is NaN)": the NaN positions are checked
    # through ds.compare ne (x != x), the other values through ds.select.
    a, b = normal(r, (6,)), normal(r, (6,))
    a[1] = np.nan
    b[3] = np.nan
    a[5] = b[5] = np.nan
    mx, mn = np.maximum(a, b), np.minimum(a, b)   # numpy propagates NaN
    return dict(a=a, b=b, max_isnan=np.isnan(mx), min_isnan=np.isnan(mn),
                max_val=np.where(np.isnan(mx), 0.0, mx),
                min_val=np.where(np.isnan(mn), 0.0, mn))


@case
def pow_f64(r):
    a, b = uniform(r, (3, 4), 0.1, 3.0), uniform(r, (3, 4), -2.5, 2.5)
    return dict(a=a, b=b, out=a ** b)


@case
def pow_neg_base_f64(r):
    # Negative bases with integral exponents have real powers.
    a = normal(r, (8,)) * 2
    a[:4] = -np.abs(a[:4])
    b = np.array([3.0, 2.0, -1.0, -2.0, 3.0, 0.0, 1.0, -3.0])
    return dict(a=a, b=b, out=a ** b)


def trunc_div(a, b):
    """Integer division truncated toward zero (C semantics)."""
    q = np.abs(a) // np.abs(b)
    return (np.sign(a) * np.sign(b) * q).astype(a.dtype)


@case
def arith_i32(r):
    a = ints(r, (3, 4), -1000, 1000)
    b = nonzero_ints(r, (4,), -20, 20)
    return dict(a=a, b=b, add=a + b, sub=a - b, mul=a * b, div=trunc_div(a, b),
                max=np.maximum(a, b), min=np.minimum(a, b))


@case
def div_i32(r):
    a = np.concatenate([np.array([7, -7, 7, -7, 6, -6, 1, -1, 0, 5]),
                        ints(r, (6,), -100, 100)]).astype(I32)
    b = np.concatenate([np.array([2, 2, -2, -2, 3, 3, 2, 2, 5, 7]),
                        nonzero_ints(r, (6,), -9, 9)]).astype(I32)
    return dict(a=a, b=b, out=trunc_div(a, b))


@case
def arith_i8(r):
    a = ints(r, (10,), -12, 12, I8)
    b = nonzero_ints(r, (10,), -9, 9, I8)
    return dict(a=a, b=b, add=a + b, sub=a - b, mul=a * b, div=trunc_div(a, b),
                max=np.maximum(a, b), min=np.minimum(a, b))


@case
def arith_i64(r):
    a = r.integers(-10**12, 10**12, (2, 3)).astype(I64)
    b = nonzero_ints(r, (2, 1), -999, 999, I64)
    return dict(a=a, b=b, add=a + b, sub=a - b, mul=a * b, div=trunc_div(a, b))


@case
def arith_i16(r):
    a = ints(r, (8,), -150, 150, I16)
    b = nonzero_ints(r, (8,), -100, 100, I16)
    return dict(a=a, b=b, add=a + b, sub=a - b, mul=a * b, div=trunc_div(a, b))


def _compare_all(a, b):
    with np.errstate(invalid="ignore"):
        return dict(eq=a == b, ne=a != b, lt=a < b, le=a <= b, gt=a > b, ge=a >= b)


@case
def compare_f64(r):
    # Some equal pairs (eq/le/ge), -0.0 == +0.0, and NaN on both sides:
    # ordered comparisons with NaN are false, ne is true.
    a, b = normal(r, (3, 4)), normal(r, (4,))
    a[0, :] = b
    a[1, 2] = -0.0
    b[2] = 0.0
    a[2, 0] = np.nan
    b[3] = np.nan
    return dict(a=a, b=b, **_compare_all(a, b))


@case
def compare_i32(r):
    a, b = ints(r, (3, 4), -5, 5), ints(r, (3, 1), -5, 5)
    a[0, 1] = b[0, 0]
    return dict(a=a, b=b, **_compare_all(a, b))


@case
def compare_bf16(r):
    a, b = bf16_rand(r, (2, 4)), bf16_rand(r, (4,))
    a[1, 1] = b[1]
    return dict(a=a, b=b, lt=a.astype(F64) < b.astype(F64),
                eq=a.astype(F64) == b.astype(F64))


@case
def select_f64(r):
    c = r.random((3, 1)) < 0.5
    c[0, 0], c[1, 0] = True, False
    t, f = normal(r, (3, 4)), normal(r, (4,))
    return dict(c=c, t=t, f=f, out=np.where(c, t, f))


@case
def select_i32(r):
    c = np.array([[True, False, True], [False, False, True]])
    t, f = ints(r, (2, 3), -50, 50), np.array(ints(r, (), 1, 9))
    return dict(c=c, t=t, f=f, out=np.where(c, t, f).astype(I32))


def _unary_f64(fn, x):
    return dict(x=x, out=fn(x))


@case
def neg_f64(r):
    return _unary_f64(np.negative, normal(r, (3, 4)))


@case
def abs_f64(r):
    return _unary_f64(np.abs, normal(r, (3, 4)))


@case
def square_f64(r):
    return _unary_f64(lambda x: x * x, normal(r, (3, 4)))


@case
def relu_f64(r):
    return _unary_f64(lambda x: np.where(x > 0, x, 0.0), normal(r, (3, 4)))


@case
def unary_i32(r):
    x = ints(r, (12,), -40, 40)
    x[0], x[1] = -7, 0
    return dict(x=x, neg=-x, abs=np.abs(x), square=x * x,
                relu=np.maximum(x, 0).astype(I32))


@case
def exp_f64(r):
    return _unary_f64(np.exp, uniform(r, (3, 4), -5, 5))


@case
def log_f64(r):
    return _unary_f64(np.log, np.exp(uniform(r, (3, 4), -4, 4)))


@case
def sqrt_f64(r):
    return _unary_f64(np.sqrt, np.exp(uniform(r, (3, 4), -4, 4)))


@case
def rsqrt_f64(r):
    return _unary_f64(lambda x: 1.0 / np.sqrt(x), np.exp(uniform(r, (3, 4), -4, 4)))


@case
def tanh_f64(r):
    return _unary_f64(np.tanh, uniform(r, (3, 4), -4, 4))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@case
def sigmoid_f64(r):
    return _unary_f64(sigmoid, uniform(r, (3, 4), -8, 8))


@case
def silu_f64(r):
    return _unary_f64(lambda x: x * sigmoid(x), uniform(r, (3, 4), -8, 8))


_erf = np.vectorize(math.erf, otypes=[F64])


def gelu_none(x):
    return x * (1.0 + _erf(x / math.sqrt(2.0))) / 2.0


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


@case
def gelu_f64(r):
    x = uniform(r, (3, 4), -5, 5)
    return dict(x=x, out_default=gelu_none(x), out_none=gelu_none(x),
                out_tanh=gelu_tanh(x))


@case
def unary_f32(r):
    x = uniform(r, (16,), -4, 4).astype(F32)
    p = np.exp(uniform(r, (16,), -3, 3)).astype(F32)
    xd, pd = x.astype(F64), p.astype(F64)
    res = dict(exp=np.exp(xd), log=np.log(pd), sqrt=np.sqrt(pd),
               rsqrt=1 / np.sqrt(pd), tanh=np.tanh(xd), sigmoid=sigmoid(xd),
               silu=xd * sigmoid(xd), gelu=gelu_none(xd), gelu_tanh=gelu_tanh(xd))
    res = {k: v.astype(F32) for k, v in res.items()}
    return dict(x=x, p=p, **res)


@case
def constant(r):
    # ds.constant: the values are in the IR; x only keeps the case non-trivial.
    x = normal(r, (2, 3))
    c = np.array([[1.5, -2.25, 3.0], [0.125, -7.0, 1e-3]])
    return dict(x=x, sum=x + c,
                i=np.array([3, -1, 40000], I32),
                b=round_to(np.full((2, 2), 1.1), BF16),
                m=np.array([True, False, True]),
                e=round_to(np.array([448.0, -0.5, 0.015625]), E4M3))


# --- casts and low-precision arithmetic --------------------------------------

def _wide(r, n):
    """Values over many binades, both signs."""
    return normal(r, (n,)) * np.exp2(r.integers(-12, 12, n).astype(F64))


@case
def cast_f64_bf16(r):
    x = _wide(r, 24)
    x[:6] = [1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 2 ** -130, 3e38, -1e-3]
    return dict(x=x, out=round_to(x, BF16))


@case
def cast_f64_bf16_double_rounding(r):
    # Slightly above a bf16 halfway point by less than half an f32 ulp:
    # rounding once gives the upper neighbour; rounding to f32 first lands
    # exactly on the halfway point, which then rounds to even (down).
    x = np.array([1 + 2 ** -8 + 2 ** -30, -(1 + 2 ** -8 + 2 ** -30),
                  3 + 2 ** -7 + 2 ** -29, 1.5, -0.75])
    out = round_to(x, BF16)
    assert out.astype(F64).tolist()[:3] == [1 + 2 ** -7, -1 - 2 ** -7, 3 + 2 ** -6]
    twice = x.astype(F32).astype(BF16).astype(F64)
    assert twice.tolist()[:3] == [1.0, -1.0, 3.0]
    return dict(x=x, out=out)


@case
def cast_f64_f16(r):
    x = _wide(r, 24)
    x[:7] = [1e-6, -3e-7, 6.0e4, 65504.0, 1 + 2 ** -11, 1 + 3 * 2 ** -11,
             1 + 2 ** -11 + 2 ** -40]        # just above a tie: rounds up
    return dict(x=x, out=round_to(x, F16))


@case
def cast_f64_f32(r):
    x = _wide(r, 16)
    x[0] = 1 + 2 ** -24 + 2 ** -60
    return dict(x=x, out=round_to(x, F32))


@case
def cast_f64_f8e4m3fn(r):
    x = _wide(r, 24) * 4
    x[:11] = [2 ** -9, 3 * 2 ** -10, 2 ** -11, 449.0, 464.0, 500.0, -1e5,
              1 + 2 ** -4, 1 + 3 * 2 ** -4, 17.0,   # subnormals, saturation, ties
              1 + 2 ** -4 + 2 ** -40]               # just above a tie: rounds up
    return dict(x=x, out=round_to(x, E4M3))


@case
def cast_f64_f8e5m2(r):
    x = _wide(r, 24) * 4
    x[:9] = [2 ** -16, 3 * 2 ** -17, 2 ** -17 + 2 ** -30, 57344.0, -60000.0,
             1 + 2 ** -3, 1 + 3 * 2 ** -3, 1e-9, -(1 + 2 ** -3 + 2 ** -40)]
    out = round_to(x, E5M2)
    assert np.isfinite(out.astype(F64)).all()
    return dict(x=x, out=out)


@case
def cast_f32_bf16(r):
    x = _wide(r, 16).astype(F32)
    return dict(x=x, out=round_to(x.astype(F64), BF16))


@case
def cast_bf16_f32(r):
    x = bf16_rand(r, (4, 4), 100.0)
    return dict(x=x, out32=x.astype(F32), out64=x.astype(F64))


def _all_codes(dtype, exclude):
    codes = np.array([c for c in range(256) if c not in exclude], np.uint8)
    return codes.view(dtype)


E4M3_FINITE = [0x7F, 0xFF]                        # the NaNs
E5M2_FINITE = [0x7C, 0x7D, 0x7E, 0x7F, 0xFC, 0xFD, 0xFE, 0xFF]   # +-inf, NaNs


@case
def cast_f8e4m3fn_f32(r):
    x = _all_codes(E4M3, E4M3_FINITE)
    return dict(x=x, out=x.astype(F32), out_bf16=round_to(x.astype(F64), BF16))


@case
def cast_f8e5m2_f32(r):
    x = _all_codes(E5M2, E5M2_FINITE)
    return dict(x=x, out=x.astype(F32))


@case
def cast_f8e5m2_f8e4m3fn(r):
    # Every finite E5M2 value: large ones saturate to +-448, tiny ones
    # underflow to zero, the rest round to 3 mantissa bits.
    x = _all_codes(E5M2, E5M2_FINITE)
    return dict(x=x, out=round_to(x.astype(F64), E4M3))


@case
def cast_f8e4m3fn_f8e5m2(r):
    x = _all_codes(E4M3, E4M3_FINITE)
    return dict(x=x, out=round_to(x.astype(F64), E5M2))


@case
def cast_bf16_f8(r):
    x = bf16_rand(r, (16,), 20.0)
    x[:3] = round_to(np.array([1000.0, -3000.0, 0.01]), BF16)
    return dict(x=x, e4=round_to(x.astype(F64), E4M3), e5=round_to(x.astype(F64), E5M2),
                h=round_to(x.astype(F64), F16))


@case
def cast_special_f64(r):
    # Infinities and overflow. E4M3FN has no infinity: +-inf and every finite
    # overflow saturate to +-448; E5M2, f16 and bf16 overflow to +-inf, which
    # is checked as |cast(x)| > 1e300 (an infinity cannot be compared).
    # Float -> int saturates +-inf; NaN stays NaN in E4M3FN and bf16.
    x = np.array([np.inf, -np.inf, 1e6, -1e6, 61440.0, 61439.0, 65520.0, 65519.0,
                  3.4e38, -3.3e38])
    x = np.concatenate([x, normal(r, (2,))])
    n = np.array([np.nan, 1.5])
    with np.errstate(over="ignore"):
        return dict(x=x, n=n, e4=round_to(x, E4M3),
                    e5_inf=np.isinf(round_to(x, E5M2).astype(F64)),
                    h_inf=np.isinf(round_to(x, F16).astype(F64)),
                    b_inf=np.isinf(round_to(x, BF16).astype(F64)),
                    i32=f2i(x, I32), i8=f2i(x, I8),
                    n_e4_nan=np.isnan(round_to(n, E4M3).astype(F64)),
                    n_bf16_nan=np.isnan(round_to(n, BF16).astype(F64)))


def f2i(x, dtype):
    """float -> int: truncate toward zero, saturate, NaN -> 0."""
    info = np.iinfo(dtype)
    t = np.trunc(np.nan_to_num(x, nan=0.0))
    return np.clip(t, info.min, info.max).astype(dtype)


@case
def cast_f64_int(r):
    x = _wide(r, 16) * 8
    x[:10] = [2.9, -2.9, 0.5, -0.5, 300.7, -1000.0, 3e9, -3e9, np.nan, 40000.0]
    return dict(x=x, i8=f2i(x, I8), i16=f2i(x, I16), i32=f2i(x, I32),
                i64=f2i(np.nan_to_num(x), I64))


@case
def cast_f32_int(r):
    x = (_wide(r, 12) * 100).astype(F32)
    x[:4] = [-2.5, 2.5, 1e10, -1e10]
    return dict(x=x, i32=f2i(x.astype(F64), I32), i8=f2i(x.astype(F64), I8))


@case
def cast_float_i1(r):
    # i1 is x != 0 (NaN is left out: see the README).
    x = normal(r, (8,))
    x[:4] = [0.0, -0.0, 1e-300, -0.25]
    b = bf16_rand(r, (4,))
    b[0] = 0
    return dict(x=x, b=b, x_i1=x != 0, b_i1=b.astype(F64) != 0)


@case
def cast_int_float(r):
    i = ints(r, (12,), -100000, 100000)
    i[:8] = [257, 259, -257, 1000, 17, 19, -100000, 0]
    l = np.array([16777217, 16777219, -16777217, 2 ** 40 + 1, 123, -5, 0, 7], I64)
    s = ints(r, (6,), -128, 127, I8)
    return dict(i=i, l=l, s=s,
                i_f64=i.astype(F64), i_f32=i.astype(F32), i_bf16=round_to(i, BF16),
                i_e4=round_to(i, E4M3), l_f32=round_to(l.astype(F64), F32),
                l_bf16=round_to(l.astype(F64), BF16), s_f64=s.astype(F64),
                s_e5=round_to(s.astype(F64), E5M2), s_f16=s.astype(F16))


def wrap(v, dtype):
    bits = np.iinfo(dtype).bits
    v = np.asarray(v, np.int64) & ((1 << bits) - 1)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v).astype(dtype)


@case
def cast_int_int(r):
    i = ints(r, (10,), -100000, 100000)
    i[:6] = [300, -200, 128, -129, 65535, -32769]
    s = ints(r, (6,), -128, 127, I8)
    s[0], s[1] = -128, -1
    l = np.array([3000000000, -3000000000, 2 ** 32 + 5, -1, 70000, 2 ** 40 - 1], I64)
    return dict(i=i, s=s, l=l, i_i8=wrap(i, I8), i_i16=wrap(i, I16), i_i64=i.astype(I64),
                s_i32=s.astype(I32), s_i16=s.astype(I16), l_i32=wrap(l, I32),
                l_i8=wrap(l, I8))


@case
def cast_i1_int(r):
    # i1 converts to 0 or 1; an integer becomes i1 as x != 0 (see README).
    c = np.array([True, False, True, True, False])
    i = np.array([0, 1, -1, 2, -128, 256], I32)
    return dict(c=c, i=i, c_i32=c.astype(I32), c_i8=c.astype(I8), c_f64=c.astype(F64),
                c_bf16=c.astype(BF16), i_i1=i != 0)


@case
def arith_bf16(r):
    a, b = bf16_rand(r, (16,)), bf16_rand(r, (16,))
    b[0] = round_to(np.array([3.0]), BF16)[0]
    return dict(a=a, b=b,
                add=lowp(np.add, BF16, a, b), sub=lowp(np.subtract, BF16, a, b),
                mul=lowp(np.multiply, BF16, a, b), div=lowp(np.divide, BF16, a, b),
                max=lowp(np.maximum, BF16, a, b), sqrt=lowp(np.sqrt, BF16, np.abs(a)),
                square=lowp(np.square, BF16, a), neg=-a)


@case
def arith_f16(r):
    a, b = round_to(normal(r, (12,)), F16), round_to(normal(r, (12,)), F16)
    return dict(a=a, b=b, add=lowp(np.add, F16, a, b), mul=lowp(np.multiply, F16, a, b),
                div=lowp(np.divide, F16, a, b))


@case
def arith_f8e4m3fn(r):
    a, b = round_to(normal(r, (12,), 4), E4M3), round_to(normal(r, (12,), 4), E4M3)
    # Results beyond 448 saturate.
    a[:3] = round_to(np.array([300.0, -320.0, 40.0]), E4M3)
    b[:3] = round_to(np.array([300.0, -256.0, 30.0]), E4M3)
    assert (b.astype(F64) != 0).all()
    return dict(a=a, b=b, add=lowp(np.add, E4M3, a, b), sub=lowp(np.subtract, E4M3, a, b),
                mul=lowp(np.multiply, E4M3, a, b), div=lowp(np.divide, E4M3, a, b))


@case
def arith_f8e5m2(r):
    a, b = round_to(normal(r, (12,), 4), E5M2), round_to(normal(r, (12,), 4), E5M2)
    assert (b.astype(F64) != 0).all()
    return dict(a=a, b=b, add=lowp(np.add, E5M2, a, b), mul=lowp(np.multiply, E5M2, a, b),
                div=lowp(np.divide, E5M2, a, b))


# --- shape ops --------------------------------------------------------------

@case
def reshape_f64(r):
    x = normal(r, (2, 3, 4))
    return dict(x=x, out=x.reshape(4, 6), out2=x.reshape(2, 1, 12))


@case
def reshape_i32(r):
    x = ints(r, (6,), -9, 9)
    return dict(x=x, out=x.reshape(2, 1, 3))


@case
def transpose_f64(r):
    x = normal(r, (2, 3, 4))
    y = normal(r, (2, 3, 2, 4))
    # result[j...] = input[i...] with i_perm[k] = j_k, i.e. np.transpose.
    return dict(x=x, y=y, out=np.transpose(x, (2, 0, 1)), out4=np.transpose(y, (0, 2, 1, 3)),
                out_rev=np.transpose(x, (2, 1, 0)))


@case
def transpose_i1(r):
    x = r.random((2, 3)) < 0.5
    x[0, 0], x[0, 1] = True, False
    return dict(x=x, out=x.T.copy())


@case
def broadcast_f64(r):
    x = normal(r, (3, 1))
    s = np.array(normal(r, ()))
    return dict(x=x, s=s, out=np.broadcast_to(x, (2, 3, 4)).copy(),
                out_s=np.broadcast_to(s, (2, 2)).copy())


@case
def broadcast_i32(r):
    x = ints(r, (1, 4), -9, 9)
    return dict(x=x, out=np.broadcast_to(x, (3, 4)).copy())


@case
def slice_f64(r):
    x = normal(r, (5, 7))
    y = normal(r, (4, 5, 6))
    return dict(x=x, y=y, out=x[1:5:2, 0:7:3].copy(), out_unit=x[2:4, 1:6].copy(),
                out3=y[0:4:3, 1:5:2, 2:6:1].copy())


@case
def slice_i32(r):
    x = ints(r, (10,), -99, 99)
    return dict(x=x, out=x[1:10:3].copy(), out_empty=x[4:4].copy())


@case
def concat_f64(r):
    a, b, c = normal(r, (2, 3)), normal(r, (2, 1)), normal(r, (2, 2))
    return dict(a=a, b=b, c=c, out=np.concatenate([a, b, c], axis=1),
                out0=np.concatenate([a, a], axis=0))


@case
def concat_i32(r):
    a, b = ints(r, (1, 2, 2), -9, 9), ints(r, (2, 2, 2), -9, 9)
    return dict(a=a, b=b, out=np.concatenate([a, b], axis=0))


@case
def split_f64(r):
    x = normal(r, (3, 7))
    return dict(x=x, p0=x[:, 0:2].copy(), p1=x[:, 2:2].copy(), p2=x[:, 2:7].copy())


@case
def split_i32(r):
    x = ints(r, (4, 2), -9, 9)
    return dict(x=x, p0=x[0:1].copy(), p1=x[1:4].copy())


@case
def gather_axis0_f64(r):
    table = normal(r, (6, 4))
    idx = np.array([[5, 0, 2], [2, 2, 4]], I32)
    return dict(table=table, idx=idx, out=np.take(table, idx, axis=0))


@case
def gather_axis1_f64(r):
    x = normal(r, (3, 5, 2))
    idx = np.array([4, 0, 4, 1], I64)
    return dict(x=x, idx=idx, out=np.take(x, idx, axis=1))


@case
def gather_i32(r):
    table = ints(r, (4, 3), -99, 99)
    idx = np.array(2, I32)                      # a rank-0 index
    idx2 = np.array([[2], [0]], I64)
    return dict(table=table, idx=idx, idx2=idx2, out=np.take(table, idx, axis=0),
                out2=np.take(table, idx2, axis=1))


@case
def iota(r):
    def io(shape, dim):
        return np.indices(shape)[dim]
    return dict(i0=io((5,), 0).astype(I32), f1=io((2, 3, 4), 1).astype(F64),
                l2=io((2, 3, 4), 2).astype(I64), b1=round_to(io((2, 260), 1), BF16),
                e0=round_to(io((20, 1), 0), E4M3))


# --- reductions and softmax ------------------------------------------------

@case
def reduce_sum_f64(r):
    x = normal(r, (3, 4, 5))
    return dict(x=x, out=x.sum(axis=(0, 2)), out_keep=x.sum(axis=(0, 2), keepdims=True),
                out_all=np.array(x.sum()), out_last=x.sum(axis=2))


@case
def reduce_mean_f64(r):
    x = normal(r, (3, 4, 5))
    return dict(x=x, out=x.mean(axis=1), out_keep=x.mean(axis=(1, 2), keepdims=True),
                out_01=x.mean(axis=(0, 1)))


@case
def reduce_max_f64(r):
    x = normal(r, (3, 4, 5))
    return dict(x=x, out=x.max(axis=(0, 1)), out_keep=x.max(axis=(2, 0), keepdims=True),
                out_all=np.array(x.max()))


@case
def reduce_max_nan(r):
    x = normal(r, (3, 4))
    x[1, 2] = np.nan
    return dict(x=x, isnan=np.isnan(x.max(axis=1)), isnan0=np.isnan(x.max(axis=0)))


@case
def reduce_i32(r):
    x = ints(r, (2, 3, 4), -50, 50)
    y = (-1 - np.abs(ints(r, (2, 3, 4), -50, 50))).astype(I32)   # all negative
    return dict(x=x, y=y, sum=x.sum(axis=(1, 2)).astype(I32),
                max=x.max(axis=0, keepdims=True), max_neg=y.max(axis=2))


@case
def reduce_f32(r):
    x = normal(r, (4, 6)).astype(F32)
    xd = x.astype(F64)
    return dict(x=x, sum=xd.sum(axis=1).astype(F32), mean=xd.mean(axis=0).astype(F32),
                max=xd.max(axis=1).astype(F32))


@case
def reduce_bf16(r):
    # Multiples of 1/8 below 16: every partial sum is exact in f32, so the
    # result is the exact sum (or mean) rounded once to bf16.
    x = round_to(r.integers(-128, 128, (3, 8)) / 8.0, BF16)
    xd = x.astype(F64)
    return dict(x=x, sum=round_to(xd.sum(axis=1), BF16), mean=round_to(xd.mean(axis=0), BF16),
                max=x.astype(F64).max(axis=1).astype(BF16))


def softmax_np(x, axis):
    m = x.max(axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_np(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@case
def softmax_f64(r):
    x = normal(r, (3, 5), 2)
    y = normal(r, (4, 3))
    return dict(x=x, y=y, out=softmax_np(x, 1), out0=softmax_np(y, 0))


@case
def softmax_large_f64(r):
    # exp(1000) overflows: the max must be subtracted first.
    x = 1000.0 + normal(r, (2, 6), 3)
    x[1] = -x[1]
    return dict(x=x, out=softmax_np(x, 1), log=log_softmax_np(x, 1))


@case
def log_softmax_f64(r):
    x = normal(r, (3, 5), 2)
    y = normal(r, (2, 3, 4))
    return dict(x=x, y=y, out=log_softmax_np(x, 1), out1=log_softmax_np(y, 1))


@case
def softmax_f32(r):
    x = normal(r, (3, 7), 3).astype(F32)
    xd = x.astype(F64)
    return dict(x=x, out=softmax_np(xd, 1).astype(F32), log=log_softmax_np(xd, 1).astype(F32))


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


# --- attention --------------------------------------------------------------

def attention_np(q, k, v, causal=False, scale=None, window=None):
    B, Tq, Hq, D = q.shape
    _, Tk, Hkv, Dv = v.shape
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    out = np.zeros((B, Tq, Hq, Dv))
    for b in range(B):
        for i in range(Tq):
            p = i + Tk - Tq
            for h in range(Hq):
                g = h // (Hq // Hkv)
                js = [j for j in range(Tk)
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
def attention_f32(r):
    q, k, v = (t.astype(F32) for t in qkv(r, 1, 4, 4, 2, 1, 8))
    return dict(q=q, k=k, v=v, out=attention_np(*(t.astype(F64) for t in (q, k, v)),
                                                  causal=True).astype(F32))


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


# --- run-time errors (inputs only) ------------------------------------------

@case
def error_gather_index(r):
    return dict(table=normal(r, (6, 4)), idx=np.array([[1, 6]], I32))


@case
def error_gather_negative_index(r):
    return dict(x=normal(r, (3, 5)), idx=np.array([0, -1, 2], I64))


@case
def error_cross_entropy_target(r):
    return dict(logits=normal(r, (3, 5)), targets=np.array([1, 5, -100], I32))


@case
def error_cross_entropy_negative_target(r):
    return dict(logits=normal(r, (3, 5)), targets=np.array([1, -100, -1], I32))


@case
def error_cross_entropy_not_ignored(r):
    # With ignore_index = 3, the PyTorch default -100 is an ordinary target.
    return dict(logits=normal(r, (3, 5)), targets=np.array([3, -100, 0], I64))


@case
def error_moe_ffn_index(r):
    N, D, I, E, K = 2, 4, 3, 3, 2
    return dict(x=normal(r, (N, D)), w=uniform(r, (N, K), 0.1, 1.0),
                idx=np.array([[0, 2], [3, 1]], I32), gate=normal(r, (E, I, D)),
                up=normal(r, (E, I, D)), down=normal(r, (E, D, I)))


@case
def error_div_by_zero(r):
    return dict(a=np.array([5, -3, 8, 1], I32), b=np.array([2, 1, 0, 4], I32))


@case
def error_wrong_shape(r):
    return dict(a=normal(r, (3, 4)))


# ---------------------------------------------------------------------------

def main():
    self_check_rounding()
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for name, fn in CASES.items():
        tensors = fn(rng_for(name))
        for key, value in tensors.items():
            value = np.asarray(value)
            assert value.dtype in _ST_DTYPE, (name, key, value.dtype)
            # No all-zero (or all-false) tensor, except the loss of a batch
            # whose every position is ignored, and empty slices.
            if value.size and (name, key) != ("cross_entropy_all_ignored_f64", "loss"):
                assert np.count_nonzero(value.astype(F64)) > 0, (name, key)
            tensors[key] = value
        path = os.path.join(OUT, name + ".safetensors")
        write_safetensors(path, tensors)
        total += os.path.getsize(path)
    print(f"{len(CASES)} cases, {total} bytes in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
