"""Run-time error cases (errors.mlir): inputs only, no expected outputs."""

import numpy as np

from .common import I32, I64
from .registry import case, normal, uniform


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


@case
def error_scatter_add_index(r):
    return dict(updates=normal(r, (2, 3)), idx=np.array([1, 4], I32))


@case
def error_moe_route_grad_index(r):
    return dict(logits=normal(r, (2, 4)), idx=np.array([[0, 1], [2, -1]], I64),
                dw=normal(r, (2, 2)))


@case
def error_moe_ffn_grad_index(r):
    N, D, I, E, K = 2, 4, 3, 3, 2
    return dict(x=normal(r, (N, D)), w=uniform(r, (N, K), 0.1, 1.0),
                idx=np.array([[0, 2], [1, 5]], I32), gate=normal(r, (E, I, D)),
                up=normal(r, (E, I, D)), down=normal(r, (E, D, I)), dy=normal(r, (N, D)))
