#!/usr/bin/env bash
# The reference frameworks for the benchmarks, in a virtual environment at
# .bench-venv (git-ignored): PyTorch (eager and torch.compile, on the CPU)
# and JAX (CPU). Not needed to build or test DS.
#
# PyPI's Linux PyTorch wheel is the CUDA build; its CUDA dependencies are
# several GB, so it is installed without them, plus only the few shared
# libraries libtorch_cuda.so must find to load at all (it still runs on the
# CPU). The machine's CUDA toolkit (/usr/local/cuda) is a different
# version and is not used.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.bench-venv
torch_version=2.15.0
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip="$venv/bin/pip --disable-pip-version-check -q"
$pip install numpy ml_dtypes "jax[cpu]" sympy networkx jinja2 filelock \
  typing_extensions fsspec "setuptools>=77"
$pip install --no-deps "torch==$torch_version" nvidia-cusparselt-cu13==0.8.1 \
  nvidia-nvshmem-cu13==3.7.2 nvidia-nccl-cu13==2.30.7 nvidia-cufile
"$venv/bin/python" - <<'PY'
import jax, torch
x = torch.randn(64, 64)
assert torch.allclose(x @ torch.eye(64), x)
print("reference frameworks: torch %s (%d threads), jax %s" % (
    torch.__version__, torch.get_num_threads(), jax.__version__))
PY
