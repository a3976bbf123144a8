"""Reduction and softmax cases (reduce.mlir)."""

import numpy as np

from .common import BF16, F32, F64, I32
from .registry import case, ints, normal
from .rounding import round_to


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
