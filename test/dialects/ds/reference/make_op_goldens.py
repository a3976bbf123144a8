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

The code lives in the goldens/ package next to this script (see
goldens/__init__.py): the safetensors writer, the exact rounding helpers,
the case registry, and one module of cases per lit test file. The case
modules are imported below in a fixed order, which is the order of CASES.
"""

import os
import sys

import numpy as np

from goldens.common import F64
from goldens.registry import CASES, rng_for
from goldens.rounding import self_check_rounding
from goldens.safetensors_io import ST_DTYPE, write_safetensors

# Importing a case module registers its cases (@case), in this order.
from goldens import elementwise, casts, shape, reduce, model  # noqa: F401
from goldens import moe_loss, errors  # noqa: F401
from goldens import grad, scan  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Inputs")


def main():
    self_check_rounding()
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for name, fn in CASES.items():
        tensors = fn(rng_for(name))
        for key, value in tensors.items():
            value = np.asarray(value)
            assert value.dtype in ST_DTYPE, (name, key, value.dtype)
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
