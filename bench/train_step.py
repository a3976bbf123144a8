#!/usr/bin/env python3
"""Training-step throughput of DS's compiled CPU code, side by side with JAX.

For tiny-dense (GPT-2 style) and tiny-moe (DeepSeek-V3 style), same shapes
(batch 2 x 32 tokens), f32:

  DS   ds-compile models/<m>.mlir --train (autodiff + AdamW, generated code
       and kernels), timed by `ds-run --repeat` (one warm-up run, then the
       mean of N runs of @train_step);
  JAX  the independent JAX implementation of the same model from
       test/models/golden/make_golden.py, with jax.value_and_grad and an
       AdamW update in one jax.jit'ed step, timed the same way.

Prints a table (tokens/s and DS/JAX) and the compile times. PyTorch eager is
the reference issue 5 names; it is added here once it installs on the
machine (see docs/performance.md).

    python3 bench/train_step.py [--build build] [--repeat 30]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "models", "golden"))


def ds_step(build, model, repeat, workdir):
    """(compile seconds, ms per train_step) of the compiled model."""
    tools = os.path.join(build, "bin")
    source = os.path.join(ROOT, "models", model + ".mlir")
    golden = os.path.join(ROOT, "test", "models", "golden", model, "golden.safetensors")
    artifact = os.path.join(workdir, model)
    state = os.path.join(workdir, model + "-state.safetensors")
    start = time.perf_counter()
    subprocess.run([os.path.join(tools, "ds-compile"), source, "--train",
                    "--entry=train_step", "--force", "--quiet", "-o", artifact],
                   check=True)
    compile_seconds = time.perf_counter() - start
    subprocess.run([os.path.join(tools, "ds-interp"), source,
                    "--passes=ds-autodiff,ds-optimizer", "--entry=train_step",
                    "--init-seed=7", "--zero-missing-inputs", "--inputs=" + golden,
                    "--output=" + state], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([os.path.join(tools, "ds-run"), artifact, "--entry=train_step",
                          "--inputs=" + golden, "--inputs=" + state,
                          "--repeat=%d" % repeat],
                         check=True, capture_output=True, text=True).stdout
    ms = float(re.search(r"mean ([0-9.]+) ms per run", out).group(1))
    return compile_seconds, ms


def jax_step(model, repeat):
    """(jit seconds, ms per train step) of the JAX implementation."""
    import make_golden as mg
    import jax
    import jax.numpy as jnp
    import numpy as np

    if model == "tiny-dense":
        cfg, weights = mg.GPT2_CFG, mg.gpt2_weights(mg.GPT2_CFG, 1).w

        def loss_fn(W, tokens, targets):
            logits, _ = mg.gpt2_forward(cfg, W, tokens)
            return mg.cross_entropy(logits, targets)
    else:
        cfg, weights = mg.DSV3_CFG, mg.dsv3_weights(mg.DSV3_CFG, 1).w

        def loss_fn(W, tokens, targets):
            logits, _ = mg.dsv3_forward(cfg, W, tokens)
            return mg.cross_entropy(logits, targets)

    W = {k: jnp.asarray(np.asarray(v, dtype=np.float32)) for k, v in weights.items()}
    m = {k: jnp.zeros_like(v) for k, v in W.items()}
    v = {k: jnp.zeros_like(x) for k, x in W.items()}
    rng = np.random.default_rng(0)
    vocab = cfg["vocab_size"]
    tokens = jnp.asarray(rng.integers(0, vocab, (2, 32)), dtype=jnp.int32)
    targets = jnp.asarray(rng.integers(0, vocab, (2, 32)), dtype=jnp.int32)

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("models", nargs="*", default=["tiny-dense", "tiny-moe"])
    args = parser.parse_args()
    tokens = 2 * 32
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.models:
            ds_compile, ds_ms = ds_step(args.build, model, args.repeat, workdir)
            try:
                jax_jit, jax_ms = jax_step(model, args.repeat)
            except ImportError as error:
                jax_jit, jax_ms = float("nan"), float("nan")
                print("JAX unavailable:", error, file=sys.stderr)
            rows.append((model, ds_ms, jax_ms, ds_compile, jax_jit))
    print("train_step, f32, batch 2 x 32 tokens, %d runs" % args.repeat)
    print("%-12s %10s %12s %10s %12s %9s %12s %10s" % (
        "model", "DS ms", "DS tok/s", "JAX ms", "JAX tok/s", "DS/JAX", "DS compile", "JAX jit"))
    for model, ds_ms, jax_ms, ds_compile, jax_jit in rows:
        print("%-12s %10.2f %12.0f %10.2f %12.0f %9.2f %11.1fs %9.1fs" % (
            model, ds_ms, tokens / ds_ms * 1000, jax_ms, tokens / jax_ms * 1000,
            jax_ms / ds_ms, ds_compile, jax_jit))


if __name__ == "__main__":
    main()
