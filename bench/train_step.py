#!/usr/bin/env python3
"""Training-step throughput of DS's compiled CPU code, side by side with
PyTorch (eager and torch.compile) and JAX, in one run.

For each model, the same shapes and dtype (f32) everywhere:

  tiny-dense  GPT-2 style, 0.9M parameters, batch 2 x 32 tokens
  tiny-moe    DeepSeek-V3 style (MLA, 1 shared + 16 routed experts, top-4),
              batch 2 x 32 tokens
  gpt-10m     GPT-2 style, 10M parameters, batch 8 x 128 tokens

  DS             ds-model <config> then ds-compile --train (autodiff + AdamW,
                 generated code and kernels); timed by `ds-run --repeat`
                 (one warm-up run, then the mean of N runs of @train_step)
  PyTorch eager  bench/torch_models.py (checked against JAX there): forward,
                 cross-entropy, backward, torch.optim.AdamW(foreach=True)
  torch.compile  the same with forward + loss under torch.compile
  JAX            test/models/golden/make_golden.py's model under
                 jax.value_and_grad with an AdamW update, in one jax.jit

Every framework uses all cores (2 on the development machine). Prints one
table: ms per step, tokens/s, the ratio of DS's throughput to each
reference's, and each framework's compile time (DS: ds-compile of the
train_step; torch.compile and JAX: the first step). The PyTorch and JAX
environment comes from bench/setup-reference.sh.

    bench/setup-reference.sh                      # once: .bench-venv
    .bench-venv/bin/python bench/train_step.py [--build build] [--repeat 20]
        [--no-torch-compile] [models...]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models", "golden"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import make_golden as mg  # noqa: E402  (after the path set-up)

GPT_10M_CFG = dict(mg.GPT2_CFG, vocab_size=8192, n_positions=128, n_embd=320,
                   n_layer=6, n_head=5)

# name: (config file, JAX/PyTorch config, weight maker, forward kind, B, T)
MODELS = {
    "tiny-dense": ("tiny-dense.textproto", mg.GPT2_CFG, mg.gpt2_weights, "gpt2", 2, 32),
    "tiny-moe": ("tiny-moe.textproto", mg.DSV3_CFG, mg.dsv3_weights, "dsv3", 2, 32),
    "gpt-10m": ("gpt-10m.textproto", GPT_10M_CFG, mg.gpt2_weights, "gpt2", 8, 128),
}


def random_batch(vocab, B, T, seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocab, (B, T)).astype(np.int32)
    targets = rng.integers(0, vocab, (B, T)).astype(np.int32)
    return tokens, targets


def ds_step(build, model, repeat, workdir):
    """(compile seconds, ms per train_step, parameter count) of DS."""
    tools = os.path.join(build, "bin")
    config, _, _, _, B, T = MODELS[model]
    source = os.path.join(workdir, model + ".mlir")
    subprocess.run([os.path.join(tools, "ds-model"),
                    os.path.join(ROOT, "models", config), "-o", source], check=True)
    artifact = os.path.join(workdir, model)
    start = time.perf_counter()
    subprocess.run([os.path.join(tools, "ds-compile"), source, "--train",
                    "--entry=train_step", "--force", "--quiet", "-o", artifact],
                   check=True)
    compile_seconds = time.perf_counter() - start
    # Random parameters (scaled like an initialization), zero optimizer state.
    with open(os.path.join(artifact, "manifest.json")) as f:
        manifest = json.load(f)
    entry = next(e for e in manifest["entries"] if e["name"] == "train_step")
    rng = np.random.default_rng(1)
    inputs, params = {}, 0
    vocab = MODELS[model][1]["vocab_size"]
    inputs["tokens"], inputs["targets"] = random_batch(vocab, B, T)
    for argument in entry["arguments"]:
        if argument["role"] == "param":
            shape = argument["shape"]
            inputs[argument["name"]] = (rng.standard_normal(shape) * 0.02).astype(np.float32)
            params += int(np.prod(shape))
    path = os.path.join(workdir, model + "-inputs.safetensors")
    mg.write_safetensors(path, inputs)
    out = subprocess.run([os.path.join(tools, "ds-run"), artifact, "--entry=train_step",
                          "--inputs=" + path, "--zero-missing", "--repeat=%d" % repeat],
                         check=True, capture_output=True, text=True).stdout
    ms = float(re.search(r"mean ([0-9.]+) ms per run", out).group(1))
    return compile_seconds, ms, params


def torch_step(model, repeat, compile):
    """(compile seconds or 0, ms per train step) of PyTorch."""
    import torch
    import torch_models

    _, cfg, weights, kind, B, T = MODELS[model]
    step = torch_models.make_step(kind, cfg, weights(cfg, 1).w, compile=compile)
    tokens, targets = (torch.from_numpy(a).long() for a in random_batch(cfg["vocab_size"], B, T))
    start = time.perf_counter()
    step(tokens, targets).item()
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(repeat):
        loss = step(tokens, targets)
    loss.item()
    return (first if compile else 0.0), (time.perf_counter() - start) * 1000.0 / repeat


def jax_step(model, repeat):
    """(jit seconds, ms per train step) of JAX."""
    import jax
    import jax.numpy as jnp

    _, cfg, weights, kind, B, T = MODELS[model]
    forward = mg.gpt2_forward if kind == "gpt2" else mg.dsv3_forward

    def loss_fn(W, tokens, targets):
        logits, _ = forward(cfg, W, tokens)
        return mg.cross_entropy(logits, targets)

    W = {k: jnp.asarray(np.asarray(v, dtype=np.float32)) for k, v in weights(cfg, 1).w.items()}
    m = {k: jnp.zeros_like(v) for k, v in W.items()}
    v = {k: jnp.zeros_like(x) for k, x in W.items()}
    tokens, targets = (jnp.asarray(a) for a in random_batch(cfg["vocab_size"], B, T))

    @jax.jit
    def step(W, m, v, tokens, targets):
        loss, g = jax.value_and_grad(loss_fn)(W, tokens, targets)
        b1, b2, lr, eps, wd = 0.9, 0.95, 1e-3, 1e-8, 0.1
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in W}
        v = {k: b2 * v[k] + (1 - b2) * g[k] * g[k] for k in W}
        W = {k: W[k] - lr * (m[k] / (jnp.sqrt(v[k]) + eps) + wd * W[k]) for k in W}
        return W, m, v, loss

    start = time.perf_counter()
    W, m, v, loss = step(W, m, v, tokens, targets)
    jax.block_until_ready(loss)
    jit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(repeat):
        W, m, v, loss = step(W, m, v, tokens, targets)
    jax.block_until_ready(loss)
    return jit_seconds, (time.perf_counter() - start) * 1000.0 / repeat


def measure(name, function, *args):
    """function(*args), or (nan, nan) with the reason on stderr."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - a missing framework is a blank column
        print("%s unavailable: %s: %s" % (name, type(error).__name__, error), file=sys.stderr)
        return float("nan"), float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-torch-compile", action="store_true",
                        help="skip torch.compile (minutes per model on 2 cores)")
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.models:
            _, _, _, _, B, T = MODELS[model]
            repeat = max(3, args.repeat * 64 // (B * T))  # about equal time per model
            ds_compile, ds_ms, params = ds_step(args.build, model, repeat, workdir)
            _, eager_ms = measure("PyTorch", torch_step, model, repeat, False)
            if args.no_torch_compile:
                tc_compile, tc_ms = float("nan"), float("nan")
            else:
                tc_compile, tc_ms = measure("torch.compile", torch_step, model, repeat, True)
            jax_jit, jax_ms = measure("JAX", jax_step, model, repeat)
            rows.append((model, params, B * T, ds_ms, eager_ms, tc_ms, jax_ms,
                         ds_compile, tc_compile, jax_jit))
    print("train_step, f32, %d threads; ms per step (tokens/s); ratio = DS throughput / theirs"
          % os.cpu_count())
    print("| model | params | tokens | DS | PyTorch eager | torch.compile | JAX "
          "| DS/eager | DS/compile | DS/JAX | compile: DS | torch.compile | JAX |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def cell(ms, tokens):
        return "%.1f (%.0f)" % (ms, tokens / ms * 1000.0) if ms == ms else "-"

    def ratio(theirs, ours):
        return "%.2f" % (theirs / ours) if theirs == theirs else "-"

    def seconds(s):
        return "%.0f s" % s if s == s else "-"

    for (model, params, tokens, ds_ms, eager_ms, tc_ms, jax_ms,
         ds_compile, tc_compile, jax_jit) in rows:
        print("| %s | %.1fM | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            model, params / 1e6, tokens, cell(ds_ms, tokens), cell(eager_ms, tokens),
            cell(tc_ms, tokens), cell(jax_ms, tokens), ratio(eager_ms, ds_ms),
            ratio(tc_ms, ds_ms), ratio(jax_ms, ds_ms), seconds(ds_compile),
            seconds(tc_compile), seconds(jax_jit)))


if __name__ == "__main__":
    main()
