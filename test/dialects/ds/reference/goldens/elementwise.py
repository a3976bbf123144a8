"""Elementwise cases (elementwise.mlir): binary and integer arithmetic,
compare, select, unary and transcendental ops, gelu_grad, constant."""

import math

import numpy as np

from .common import BF16, E4M3, F32, F64, I8, I16, I32, I64
from .registry import bf16_rand, case, ints, nonzero_ints, normal, uniform
from .rounding import round_to


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
def sin_cos_f64(r):
    x = uniform(r, (3, 4), -10, 10)
    return dict(x=x, sin=np.sin(x), cos=np.cos(x))


def gelu_grad_none(x, dy):
    """dy * (Phi(x) + x phi(x)), phi the standard normal density."""
    phi = np.exp(-x * x / 2.0) / math.sqrt(2.0 * math.pi)
    return dy * ((1.0 + _erf(x / math.sqrt(2.0))) / 2.0 + x * phi)


def gelu_grad_tanh(x, dy):
    k = math.sqrt(2.0 / math.pi)
    t = np.tanh(k * (x + 0.044715 * x ** 3))
    return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x * x))


def _check_derivative(f, fprime, x):
    # The derivative formulas against central differences of ds.gelu's.
    h = 1e-5
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    assert np.allclose(fprime(x, np.ones_like(x)), numeric, rtol=1e-8, atol=1e-9)


@case
def gelu_grad_f64(r):
    x, dy = uniform(r, (3, 4), -5, 5), normal(r, (3, 4))
    _check_derivative(gelu_none, gelu_grad_none, x)
    _check_derivative(gelu_tanh, gelu_grad_tanh, x)
    return dict(x=x, dy=dy, out_default=gelu_grad_none(x, dy),
                out_none=gelu_grad_none(x, dy), out_tanh=gelu_grad_tanh(x, dy))


@case
def sin_cos_gelu_grad_f32(r):
    x = uniform(r, (16,), -6, 6).astype(F32)
    dy = normal(r, (16,)).astype(F32)
    xd, dyd = x.astype(F64), dy.astype(F64)
    res = dict(sin=np.sin(xd), cos=np.cos(xd), gelu_grad=gelu_grad_none(xd, dyd),
               gelu_grad_tanh=gelu_grad_tanh(xd, dyd))
    res = {k: v.astype(F32) for k, v in res.items()}
    return dict(x=x, dy=dy, **res)


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
