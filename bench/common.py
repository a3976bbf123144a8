#!/usr/bin/env python3
"""What bench/train_step.py, bench/decode.py, bench/torch_models.py and
bench/jax_models.py share: the definition of the training step every
framework runs, the DS tools that make the one weights file all of them read,
safetensors I/O without the safetensors package, and timing statistics.

The step (DS's `ds-compile --train`, i.e. ds-autodiff + ds-optimizer with
its defaults, passes/Passes.td; PyTorch and JAX are written to match it):

  loss      mean cross-entropy over the targets (none is ignored here)
  clipping  global L2 norm of all AdamW-trained gradients, scaled by
            min(1, CLIP_NORM / (norm + 1e-6))
  AdamW     as PyTorch defines it: lr 1e-3 constant, betas (0.9, 0.95),
            eps 1e-8 (added to sqrt(v_hat)), bias correction, decoupled
            weight decay 0.1 (p <- p (1 - lr wd)) for every parameter except
            those whose name contains one of NO_DECAY
  MoE bias  for noaux_tc routing, each layer's e_score_correction_bias is
            not trained by AdamW (it has no gradient: it only selects) but
            moved after the step by BIAS_UPDATE_SPEED:
            b <- b + gamma * sign(mean_e(load) - load_e), load_e = the number
            of (token, k) choices of expert e in this step's forward
"""

import json
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LR = 1e-3
BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.1
CLIP_NORM = 1.0
CLIP_EPS = 1e-6
BIAS_UPDATE_SPEED = 1e-3
NO_DECAY = ("norm", "bias", "embed", "wte", "wpe", "ln_")
BALANCED_SUFFIX = "e_score_correction_bias"
SEED = 1          # ds-model --init-weights --seed
BATCH_SEED = 0    # the tokens and targets


def decays(name):
    """Whether AdamW decays the parameter of this (Hugging Face) name."""
    return not any(s in name for s in NO_DECAY)


def is_balanced_bias(name):
    return name.endswith(BALANCED_SUFFIX)


# --------------------------------------------------------------------------
# safetensors
# --------------------------------------------------------------------------

_DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32}


def _bf16():
    import ml_dtypes
    return np.dtype(ml_dtypes.bfloat16)


def read_safetensors(path):
    """dict name -> numpy array (F64, F32, BF16 (upcast to F32), I64, I32)."""
    with open(path, "rb") as f:
        data = f.read()
    n = int(np.frombuffer(data[:8], "<u8")[0])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        if info["dtype"] == "BF16":
            a = np.frombuffer(raw, "<u2").view(_bf16()).astype(np.float32)
        else:
            a = np.frombuffer(raw, np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
            a = a.astype(_DTYPES[info["dtype"]])
        out[name] = a.reshape(info["shape"])
    return out


def write_safetensors(path, tensors):
    """tensors: dict name -> numpy array (F64, F32, I64, I32)."""
    names = {np.dtype(v): k for k, v in _DTYPES.items()}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.array(tensors[name], order="C")  # keeps rank 0 (ascontiguousarray does not)
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(np.uint64(len(text)).astype("<u8").tobytes())
        f.write(text)
        for raw in blobs:
            f.write(raw)


# --------------------------------------------------------------------------
# DS's tools
# --------------------------------------------------------------------------


def tool(build, name):
    path = os.path.join(build, "bin", name)
    if not os.access(path, os.X_OK):
        sys.exit("error: %s not found: build DS first (tools/setup.sh)" % path)
    return path


def run(command):
    """stdout of command; on failure, its stderr and exit 1."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("error: %s failed (exit %d):\n%s%s" % (
            " ".join(command), result.returncode, result.stdout, result.stderr))
    return result.stdout


def make_model(build, config, workdir, seed=SEED):
    """ds-model's view of models/<config>: the DS source (.mlir), the one
    weights file every framework reads (--init-weights, Hugging Face names:
    norms ones, biases and the MoE selection bias zeros, matrices
    N(0, initializer_range)), its Hugging Face config (the JAX and PyTorch
    models' cfg) and the batch shape (B, T)."""
    ds_model = tool(build, "ds-model")
    path = os.path.join(ROOT, "models", config)
    stem = os.path.join(workdir, os.path.splitext(config)[0])
    source, weights = stem + ".mlir", stem + "-weights.safetensors"
    run([ds_model, path, "-o", source, "--init-weights=" + weights, "--seed=%d" % seed])
    cfg = json.loads(run([ds_model, path, "--print-hf-config"]))
    text = run([ds_model, path, "--print-config"])
    B = int(re.search(r"batch_size:\s*(\d+)", text).group(1))
    T = int(re.search(r"seq_len:\s*(\d+)", text).group(1))
    return {"source": source, "weights": weights, "cfg": cfg, "B": B, "T": T}


def make_batch(vocab, B, T, seed=BATCH_SEED):
    """tokens, targets: int32 [B, T], uniform over the vocabulary."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocab, (B, T)).astype(np.int32)
    targets = rng.integers(0, vocab, (B, T)).astype(np.int32)
    return tokens, targets


_REPEAT = re.compile(r"repeat: (\d+) runs of '[^']*', median ([0-9.eE+-]+) ms "
                     r"\(min ([0-9.eE+-]+), max ([0-9.eE+-]+)\)")


def parse_repeat(stdout):
    """(median, min, max) ms from `ds-run --repeat`'s line."""
    match = _REPEAT.search(stdout)
    if not match:
        sys.exit("error: no 'repeat: N runs of ..., median X ms (min Y, max Z)' line "
                 "in ds-run's output (a ds-run older than its median report? "
                 "rebuild DS):\n" + stdout)
    return tuple(float(match.group(i)) for i in (2, 3, 4))


def parse_losses(stdout):
    """The losses `ds-run --steps=N` prints, in order."""
    return [float(x) for x in re.findall(r"step \d+: loss ([0-9.eE+-]+|nan|inf)", stdout)]


def agreement(params, reference, lr=LR):
    """How closely two sets of parameters (dicts by HF name, numpy) after the
    same steps agree: (worst tensor's fraction of elements off by more than
    1 % of lr, that tensor's name, max |difference| / lr).  A few elements
    always differ by more: Adam's first steps turn gradients of rounding-error
    size into updates of lr * g / (|g| + eps), whose value the rounding
    decides.  A different step (decay groups, clipping, bias correction,
    bias update) moves whole tensors."""
    worst, worst_name, largest = 0.0, None, 0.0
    if set(params) != set(reference):
        missing = sorted(set(params) ^ set(reference))
        return 1.0, "names differ: " + ", ".join(missing[:4]), float("inf")
    for k, ref in reference.items():
        d = np.abs(np.asarray(params[k], np.float64) - np.asarray(ref, np.float64)) / lr
        off = float(np.mean(d > 0.01)) if d.size else 0.0
        if off > worst or worst_name is None:
            worst, worst_name = off, k
        largest = max(largest, float(d.max()) if d.size else 0.0)
    return worst, worst_name, largest


AGREEMENT_TOLERANCE = 0.01   # of a tensor's elements off by more than 1 % of lr


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------


def stats(times_ms):
    """(median, min, max) of a list of ms."""
    a = np.sort(np.asarray(times_ms, dtype=np.float64))
    return float(np.median(a)), float(a[0]), float(a[-1])


def cell(median_min_max, tokens=None, digits=1):
    """'median (min–max)' ms, with tokens/s of the median when tokens is given."""
    if median_min_max is None:
        return "-"
    med, lo, hi = median_min_max
    text = "%.*f (%.*f–%.*f)" % (digits, med, digits, lo, digits, hi)
    if tokens:
        text += " [%.0f tok/s]" % (tokens / med * 1000.0)
    return text


def ds_threads():
    """How many OpenMP threads DS's compiled code uses (and how they are
    bound, when the environment says)."""
    value = os.environ.get("OMP_NUM_THREADS")
    text = ("%s (OMP_NUM_THREADS)" % value) if value else "%d (all cores)" % os.cpu_count()
    binding = ["%s=%s" % (k, os.environ[k]) for k in ("OMP_PROC_BIND", "OMP_PLACES")
               if k in os.environ]
    return text + (", " + " ".join(binding) if binding else ", unbound")


def cpu_name():
    """The CPU's model name and the vector extensions that matter here."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return "unknown"
    name = re.search(r"model name\s*:\s*(.*)", info)
    flags = re.search(r"flags\s*:\s*(.*)", info)
    flags = set(flags.group(1).split()) if flags else set()
    extensions = [x for x in ("avx2", "fma", "avx512f") if x in flags]
    return "%s (%s)" % (name.group(1).strip() if name else "unknown", ", ".join(extensions))


def xla_threads():
    flags = os.environ.get("XLA_FLAGS", "")
    return "XLA CPU default (all %d cores)%s" % (
        os.cpu_count(), ("; XLA_FLAGS=" + flags) if flags else "")


def time_steps(build, artifacts, prep, repeat, rounds=6):
    """{artifact: (median, min, max) ms}: the artifacts timed in turns
    (`ds-run --repeat` of repeat/rounds steps each, round after round), so
    that a slow spell of the machine falls on all of them alike. The
    median is that of the rounds' medians."""
    per_round = max(repeat // rounds, 2)
    seen = {artifact: [] for artifact in artifacts}
    for _ in range(rounds):
        for artifact in artifacts:
            out = run([tool(build, "ds-run"), artifact, "--entry=train_step",
                       "--inputs=" + prep["weights"], "--inputs=" + prep["batch"],
                       "--zero-missing", "--repeat=%d" % per_round])
            seen[artifact].append(parse_repeat(out))
    return {artifact: (stats([m for m, _, _ in runs])[0],
                       min(lo for _, lo, _ in runs), max(hi for _, _, hi in runs))
            for artifact, runs in seen.items()}
