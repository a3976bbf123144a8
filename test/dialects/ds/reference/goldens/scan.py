"""ds.scan cases (scan.mlir): the layer order, forward and with `reverse`."""

import numpy as np

from .registry import case, normal


def scan_np(h, bias, w, b, reverse=False):
    """The callee @affine_layer of scan.mlir: h' = h * w_i + b_i + bias and
    y_i = sum(h' * h'); layer i reads slice i and writes y[i], whatever the
    order in which the layers run."""
    L = w.shape[0]
    ys = np.zeros(L)
    for i in (reversed(range(L)) if reverse else range(L)):
        h = h * w[i] + b[i] + bias
        ys[i] = np.sum(h * h)
    return h, ys


@case
def scan_f64(r):
    h, bias = normal(r, (3,)), normal(r, (3,))
    w, b = normal(r, (4, 3)), normal(r, (4, 3))
    h_fwd, y_fwd = scan_np(h, bias, w, b)
    h_rev, y_rev = scan_np(h, bias, w, b, reverse=True)
    # The order matters for this callee.
    assert not np.allclose(h_fwd, h_rev) and not np.allclose(y_fwd, y_rev)
    return dict(h=h, bias=bias, w=w, b=b, h_fwd=h_fwd, y_fwd=y_fwd, h_rev=h_rev,
                y_rev=y_rev)
