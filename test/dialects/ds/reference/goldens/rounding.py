"""Exact rounding of float64 values to the narrow float formats.

`round_to` rounds the float64 value once, to nearest even (with subnormals,
E4M3FN saturation, IEEE overflow to infinity). ml_dtypes only stores the
result: it converts float64 to bf16 / fp8 through float32, which rounds
twice. `lowp` is a low-precision op: computed as if in f32 and rounded once
to the result type.
"""

import math

import ml_dtypes as md
import numpy as np

from .common import BF16, E4M3, E5M2, F16, F32, F64, SEED


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
