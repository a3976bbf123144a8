"""Cast cases (casts.mlir) and low-precision arithmetic (low_precision.mlir)."""

import numpy as np

from .common import BF16, E4M3, E5M2, F16, F32, F64, I8, I16, I32, I64
from .registry import bf16_rand, case, ints, normal
from .rounding import lowp, round_to


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
