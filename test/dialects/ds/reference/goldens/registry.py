"""The case registry and the random-data helpers the cases draw from.

A case is a function `name(rng) -> {tensor name: array}` decorated with
`@case`; it is registered in `CASES` under its function name, in definition
(import) order, and gets its own generator `rng_for(name)`.
"""

import zlib

import numpy as np

from .common import BF16, I32, SEED
from .rounding import round_to


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
