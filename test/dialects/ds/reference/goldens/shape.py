"""Shape-op cases (shape.mlir): reshape, transpose, broadcast, slice, concat,
split, gather, pad, scatter_add, iota, dynamic_update_slice."""

import numpy as np

from .common import BF16, E4M3, F64, I32, I64
from .registry import case, ints, normal
from .rounding import round_to


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


def pad_np(x, low, high, interior=None):
    """Zeros around (low / high) and between (interior) the elements."""
    interior = interior or [0] * x.ndim
    shape = [lo + n + max(n - 1, 0) * it + hi
             for lo, n, it, hi in zip(low, x.shape, interior, high)]
    out = np.zeros(shape, x.dtype)
    out[tuple(slice(lo, lo + (n - 1) * (it + 1) + 1, it + 1) if n else slice(lo, lo)
              for lo, n, it in zip(low, x.shape, interior))] = x
    return out


@case
def pad_f64(r):
    x = normal(r, (2, 3))
    y = normal(r, (2, 1, 3))
    out = pad_np(x, [1, 0], [0, 2], [1, 2])
    assert out.shape == (4, 9) and (out[1::2, 0:7:3] == x).all()
    return dict(x=x, y=y, out=out, out_plain=pad_np(y, [0, 2, 1], [1, 0, 3]))


@case
def pad_i32(r):
    x = ints(r, (3, 2), -9, 9)
    return dict(x=x, out=pad_np(x, [2, 1], [1, 1], [2, 0]))


def scatter_add_np(updates, idx, axis, size):
    shape = list(updates.shape[:axis]) + [size] + list(updates.shape[axis + idx.ndim:])
    out = np.zeros(shape, updates.dtype)
    np.add.at(out, (slice(None),) * axis + (idx,), updates)
    return out


def _check_transpose_of_gather(r, updates, idx, axis, out):
    # <gather(t, idx), updates> == <t, scatter_add(updates, idx)>.
    t = normal(r, out.shape)
    lhs = np.sum(np.take(t, idx, axis=axis) * updates)
    assert abs(lhs - np.sum(t * out)) <= 1e-12 * np.sum(np.abs(t) * np.abs(out)) + 1e-12


@case
def scatter_add_axis0_f64(r):
    # Repeated indices add up; rows 1 and 3 receive nothing.
    idx = np.array([[5, 0, 2], [2, 2, 4]], I32)
    updates = normal(r, (2, 3, 4))
    out = scatter_add_np(updates, idx, 0, 6)
    _check_transpose_of_gather(r, updates, idx, 0, out)
    return dict(updates=updates, idx=idx, out=out)


@case
def scatter_add_axis1_f64(r):
    idx = np.array([4, 0, 4, 1, 4], I64)
    updates = normal(r, (3, 5, 2))
    out = scatter_add_np(updates, idx, 1, 6)
    _check_transpose_of_gather(r, updates, idx, 1, out)
    return dict(updates=updates, idx=idx, out=out)


@case
def scatter_add_i32(r):
    idx = np.array(2, I32)                      # a rank-0 index
    idx2 = np.array([[1], [1], [0]], I64)
    updates, updates2 = ints(r, (4,), -99, 99), ints(r, (4, 3, 1), -99, 99)
    return dict(updates=updates, idx=idx, updates2=updates2, idx2=idx2,
                out=scatter_add_np(updates, idx, 0, 3),
                out2=scatter_add_np(updates2, idx2, 1, 2))


@case
def iota(r):
    def io(shape, dim):
        return np.indices(shape)[dim]
    return dict(i0=io((5,), 0).astype(I32), f1=io((2, 3, 4), 1).astype(F64),
                l2=io((2, 3, 4), 2).astype(I64), b1=round_to(io((2, 260), 1), BF16),
                e0=round_to(io((20, 1), 0), E4M3))


def dynamic_update_slice_np(target, update, start, axis):
    """target with update written at start on axis, start clamped so that
    the block fits."""
    size, count = target.shape[axis], update.shape[axis]
    start = min(max(int(start), 0), size - count)
    out = target.copy()
    index = [slice(None)] * target.ndim
    index[axis] = slice(start, start + count)
    out[tuple(index)] = update
    return out


@case
def dynamic_update_slice_f64(r):
    # Two positions of a [2, 5, 3] cache at 1; at 4 and -2, clamped to 3 and 0.
    target, update = normal(r, (2, 5, 3)), normal(r, (2, 2, 3))
    return dict(target=target, update=update, start=np.array(1, I32),
                high=np.array(4, I32), low=np.array(-2, I32),
                out=dynamic_update_slice_np(target, update, 1, 1),
                out_high=dynamic_update_slice_np(target, update, 4, 1),
                out_low=dynamic_update_slice_np(target, update, -2, 1))


@case
def dynamic_update_slice_i32(r):
    # Axis 0 with an i64 start; an update as large as the target replaces it.
    target, update = ints(r, (4, 3), -50, 50), ints(r, (1, 3), -50, 50)
    whole = ints(r, (4, 3), -50, 50)
    return dict(target=target, update=update, whole=whole,
                start=np.array(2, I64),
                out=dynamic_update_slice_np(target, update, 2, 0),
                out_whole=dynamic_update_slice_np(target, whole, 2, 0))
