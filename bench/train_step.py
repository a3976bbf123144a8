#!/usr/bin/env python3
"""Training-step speed of DS's compiled CPU code against PyTorch (eager and
torch.compile) and JAX: the same weights, the same batch and the same step
for all, in one run.

Models (their shapes and batch from models/<name>.textproto, f32):

  tiny-dense  GPT-2 style, 0.9M parameters, batch 2 x 32 tokens
  tiny-moe    DeepSeek-V3 style (MLA, 1 shared + 16 routed experts, top-4 of
              16 by noaux_tc), batch 2 x 32 tokens
  gpt-10m     GPT-2 style, 10M parameters, batch 8 x 128 tokens

Same weights: `ds-model <config> --init-weights=W --seed=1` writes every
parameter under its Hugging Face name (norm weights ones, biases and the MoE
selection bias zeros, matrices N(0, initializer_range)); DS reads that file
(ds-run gathers the per-layer tensors into its stacked parameters), PyTorch
and JAX load it. The model configuration of PyTorch and JAX is ds-model's
--print-hf-config. One batch (tokens and targets uniform over the vocabulary,
seed 0) for all.

Same step (bench/common.py): mean cross-entropy, global-norm clipping at
1.0, AdamW as PyTorch defines it (lr 1e-3 constant, betas (0.9, 0.95), eps
1e-8, bias correction, decoupled weight decay 0.1 except for norms, biases
and embeddings), and for tiny-moe the e_score_correction_bias update (not
AdamW: b += 1e-3 sign(mean load - load)).

  DS             ds-compile --train (ds-autodiff + ds-optimizer, defaults):
                 the compiled @train_step, run by `ds-run --repeat`
  PyTorch eager  bench/torch_models.py (checked against the JAX reference by
                 its --check): the model as functions of HF-named tensors,
                 torch.nn.utils.clip_grad_norm_, torch.optim.AdamW(fused=True)
                 with two parameter groups, the bias update in no_grad; MoE
                 experts as Hugging Face Transformers 5 runs them by default
                 ("grouped_mm": the experts stacked, tokens sorted by expert,
                 F.grouped_mm), or with --torch-moe loop as its "eager"
                 experts (a loop over experts, like Mixtral's)
  torch.compile  the same step with the whole step compiled (--compile-strategy,
                 --compile-mode, --compile-optimizer; see COMPILE below)
  JAX            bench/jax_models.py: make_golden's models, the MoE as a
                 capacity-based dispatch (no token dropped), the step in one
                 jax.jit with the state donated

Every framework first runs --warmup steps from the initial weights (DS:
`ds-run --steps=W-1` writes the state, its --repeat runs one untimed step
from it), then --repeat timed steps, each timed alone (to the loss on the
host), the state fed from step to step, so all of them time steps W+1 to
W+N of the same training. The warm-up steps double as a check: each
framework's losses of steps 1..W and its parameters after W steps are
compared with DS's. Each framework runs in its own process. Reported: the
median, min and max ms per step, tokens/s at the median, ratios of medians,
and each framework's compile time (DS: ds-compile; torch.compile and JAX:
the first step, with a fresh Inductor cache).

    bench/setup-reference.sh                      # once: .bench-venv
    .bench-venv/bin/python bench/train_step.py [--build build] [--repeat 20]
        [--warmup 5] [--no-torch-compile] [--torch-moe grouped_mm|loop] [models...]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import common  # noqa: E402  (after the path set-up)

# name: (config file, model kind of torch_models / jax_models)
MODELS = {
    "tiny-dense": ("tiny-dense.textproto", "gpt2"),
    "tiny-moe": ("tiny-moe.textproto", "dsv3"),
    "gpt-10m": ("gpt-10m.textproto", "gpt2"),
}
FRAMEWORKS = ("eager", "compile", "jax")
NAMES = {"ds": "DS", "eager": "PyTorch eager", "compile": "torch.compile", "jax": "JAX"}

# COMPILE: what torch.compile gets by default (measured on the 2-core
# development machine, PyTorch 2.15, docs/performance.md): the forward +
# loss compiled (AOTAutograd compiles its backward) and the clipping, AdamW
# step and bias update compiled as a second function ("model+optimizer"),
# mode "default", dynamic=None (shapes are static; MoE expert sizes are
# data-dependent either way).
COMPILE_STRATEGY = "model+optimizer"
COMPILE_MODE = "default"
COMPILE_OPTIMIZER = "fused"     # as fast as foreach or faster, compiled too
EAGER_OPTIMIZER = "fused"       # the fastest eager AdamW on CPU
# PyTorch's MoE experts: Transformers 5's default experts implementation
# ("grouped_mm": sorted by expert, F.grouped_mm), or its "eager" loop over
# experts (--torch-moe loop).
TORCH_MOE = "grouped_mm"


# --------------------------------------------------------------------------
# DS
# --------------------------------------------------------------------------


def ds_measure(build, model, prep, args, workdir):
    ds_compile, ds_run = common.tool(build, "ds-compile"), common.tool(build, "ds-run")
    artifact = os.path.join(workdir, model + "-ds")
    start = time.perf_counter()
    common.run([ds_compile, prep["source"], "--train", "--entry=train_step", "--force",
                "--quiet", "-o", artifact])
    compile_seconds = time.perf_counter() - start
    base = [ds_run, artifact, "--entry=train_step", "--inputs=" + prep["weights"],
            "--inputs=" + prep["batch"], "--zero-missing"]
    after = os.path.join(workdir, model + "-ds-after.safetensors")
    losses = common.parse_losses(common.run(base + ["--steps=%d" % args.warmup,
                                                    "--output=" + after]))
    state = prep["weights"]
    if args.warmup > 1:
        state = os.path.join(workdir, model + "-ds-state.safetensors")
        common.run(base + ["--steps=%d" % (args.warmup - 1), "--output=" + state])
    out = common.run([ds_run, artifact, "--entry=train_step", "--inputs=" + state,
                      "--inputs=" + prep["batch"], "--zero-missing",
                      "--repeat=%d" % args.repeat])
    result = common.read_safetensors(after)
    params = {k: result[k] for k in prep["names"]}
    return {"ms": common.parse_repeat(out), "compile_s": compile_seconds, "losses": losses,
            "threads": common.ds_threads()}, params


# --------------------------------------------------------------------------
# PyTorch and JAX, each in its own process (--worker)
# --------------------------------------------------------------------------


def worker(args):
    """Runs one framework on one model; writes <stem>.json and
    <stem>-params.safetensors (HF names) into --workdir."""
    stem = os.path.join(args.workdir, "%s-%s" % (args.model, args.worker))
    kind = MODELS[args.model][1]
    with open(os.path.join(args.workdir, args.model + "-config.json")) as f:
        cfg = json.load(f)
    weights = common.read_safetensors(os.path.join(args.workdir, args.model +
                                                   "-weights.safetensors"))
    batch = common.read_safetensors(os.path.join(args.workdir, args.model +
                                                 "-batch.safetensors"))
    tokens, targets = batch["tokens"], batch["targets"]
    losses, times = [], []
    if args.worker in ("eager", "compile"):
        import torch
        import torch_models

        compiled = args.worker == "compile"
        step = torch_models.make_step(
            kind, cfg, weights, compile=args.compile_strategy if compiled else False,
            compile_kwargs={} if args.compile_mode == "default" else {"mode": args.compile_mode},
            optimizer_impl=args.compile_optimizer if compiled else EAGER_OPTIMIZER,
            moe_impl=args.torch_moe)
        tokens = torch.from_numpy(tokens).long()
        targets = torch.from_numpy(targets).long()
        first = None
        for i in range(args.warmup):
            start = time.perf_counter()
            losses.append(float(step(tokens, targets)))
            if i == 0:
                first = time.perf_counter() - start
        params = step.hf_params()
        compiles = compile_count()
        for _ in range(args.repeat):
            start = time.perf_counter()
            step(tokens, targets).item()
            times.append((time.perf_counter() - start) * 1000.0)
        recompiled = compile_count() - compiles
        threads = "%d (torch.get_num_threads())" % torch.get_num_threads()
        note = ("%s, mode %s, AdamW %s" % (args.compile_strategy, args.compile_mode,
                                           args.compile_optimizer) if compiled
                else "AdamW %s" % EAGER_OPTIMIZER)
        note += ", MoE experts %s" % args.torch_moe
        version = "torch " + torch.__version__
    else:
        import jax
        import jax_models

        jax_models.user_mode()
        step = jax_models.make_train_step(kind, cfg)
        state = jax_models.init_state(kind, cfg, weights)
        tokens, targets = jax.numpy.asarray(tokens), jax.numpy.asarray(targets)
        first = None
        for i in range(args.warmup):
            start = time.perf_counter()
            state, loss = step(state, tokens, targets)
            losses.append(float(loss))
            if i == 0:
                first = time.perf_counter() - start
        params = jax_models.to_hf(state[1], state[2])
        for _ in range(args.repeat):
            start = time.perf_counter()
            state, loss = step(state, tokens, targets)
            jax.block_until_ready(loss)
            times.append((time.perf_counter() - start) * 1000.0)
        recompiled = 0
        threads = common.xla_threads()
        note = "jax.jit (state donated), %s, MoE capacity dispatch" % jax.devices()[0].platform
        version = "jax " + jax.__version__
    common.write_safetensors(stem + "-params.safetensors",
                             {k: np.asarray(v, np.float32) for k, v in params.items()})
    with open(stem + ".json", "w") as f:
        json.dump({"ms": common.stats(times), "compile_s": first, "losses": losses,
                   "threads": threads, "note": note, "version": version,
                   "recompiled": recompiled}, f)


def compile_count():
    """Frames Dynamo compiled plus graphs compiled autograd captured so far."""
    try:
        from torch._dynamo.utils import counters
    except ImportError:
        return 0
    return (sum(counters["frames"].values()) +
            sum(counters["compiled_autograd"].values()))


def run_worker(framework, model, args, workdir):
    """(result dict, params) of a framework, or exit with its error."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", framework,
               "--model", model, "--workdir", workdir, "--warmup", str(args.warmup),
               "--repeat", str(args.repeat), "--compile-strategy", args.compile_strategy,
               "--compile-mode", args.compile_mode,
               "--compile-optimizer", args.compile_optimizer, "--torch-moe", args.torch_moe]
    env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=os.path.join(workdir, "inductor-" + model))
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
        hint = ("\n(a framework is missing: run bench/setup-reference.sh)"
                if "ModuleNotFoundError" in tail or "ImportError" in tail else "")
        sys.exit("error: %s on %s failed (exit %d); its output ends:\n%s%s" % (
            NAMES[framework], model, result.returncode, tail, hint))
    stem = os.path.join(workdir, "%s-%s" % (model, framework))
    with open(stem + ".json") as f:
        measured = json.load(f)
    return measured, common.read_safetensors(stem + "-params.safetensors")


# --------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=20, help="timed steps (>= 10)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (>= 1)")
    parser.add_argument("--no-torch-compile", action="store_true",
                        help="skip torch.compile (minutes per model on 2 cores)")
    parser.add_argument("--compile-strategy", default=COMPILE_STRATEGY,
                        choices=["model+optimizer", "compiled-autograd"])
    parser.add_argument("--compile-mode", default=COMPILE_MODE,
                        help="torch.compile mode: default, max-autotune-no-cudagraphs, ...")
    parser.add_argument("--compile-optimizer", default=COMPILE_OPTIMIZER,
                        choices=["foreach", "fused"], help="AdamW implementation compiled")
    parser.add_argument("--torch-moe", default=TORCH_MOE, choices=["grouped_mm", "loop"],
                        help="PyTorch's MoE experts: Transformers 5's default grouped_mm, "
                             "or its eager loop over experts")
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if args.repeat < 10 or args.warmup < 1:
        parser.error("--repeat must be at least 10 and --warmup at least 1")
    for model in args.models:
        if model not in MODELS:
            parser.error("unknown model %r (one of %s)" % (model, ", ".join(MODELS)))
    frameworks = [f for f in FRAMEWORKS if not (f == "compile" and args.no_torch_compile)]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.models:
            config, kind = MODELS[model]
            prep = common.make_model(args.build, config, workdir)
            B, T = prep["B"], prep["T"]
            tokens, targets = common.make_batch(prep["cfg"]["vocab_size"], B, T)
            prep["batch"] = os.path.join(workdir, model + "-batch.safetensors")
            common.write_safetensors(prep["batch"], {"tokens": tokens, "targets": targets})
            with open(os.path.join(workdir, model + "-config.json"), "w") as f:
                json.dump(prep["cfg"], f)
            weights = common.read_safetensors(prep["weights"])
            # the name the workers read
            assert prep["weights"] == os.path.join(workdir, model + "-weights.safetensors")
            prep["names"] = sorted(weights)
            n_params = sum(int(v.size) for k, v in weights.items()
                           if not common.is_balanced_bias(k))
            print("%s: DS ..." % model, file=sys.stderr, flush=True)
            results = {}
            results["ds"], ds_params = ds_measure(args.build, model, prep, args, workdir)
            for framework in frameworks:
                print("%s: %s ..." % (model, NAMES[framework]), file=sys.stderr, flush=True)
                measured, params = run_worker(framework, model, args, workdir)
                ds_losses = results["ds"]["losses"]
                measured["loss_diff"] = max(abs(a - b) / abs(b) for a, b in
                                            zip(measured["losses"], ds_losses))
                measured["agreement"] = common.agreement(params, ds_params)
                results[framework] = measured
            rows.append((model, n_params, B, T, results))
    print_tables(rows, frameworks, args)
    recompiled = [(m, f, r[f]["recompiled"]) for m, _, _, _, r in rows for f in frameworks
                  if r[f]["recompiled"]]
    if recompiled:
        print("\nWARNING: torch.compile compiled again during the timed steps (raise "
              "--warmup): %s" % ", ".join("%s on %s (%d)" % (NAMES[f], m, n)
                                          for m, f, n in recompiled), file=sys.stderr)
    bad = [(m, f) for m, _, _, _, r in rows for f in frameworks
           if r[f]["agreement"][0] > common.AGREEMENT_TOLERANCE or r[f]["loss_diff"] > 1e-3]
    if bad:
        print("\nMISMATCH: %s trained differently from DS (see the second table)"
              % ", ".join("%s on %s" % (NAMES[f], m) for m, f in bad), file=sys.stderr)
        return 1
    return 0


def print_tables(rows, frameworks, args):
    some = rows[0][4]
    print("Training step, f32; median (min–max) ms per step over %d timed steps after %d "
          "warm-up steps [tokens/s at the median]; DS/x = x's median / DS's median "
          "(above 1: DS is faster)" % (args.repeat, args.warmup))
    print("CPU: %s" % common.cpu_name())
    print("Threads: DS %s; %s; %s; os.cpu_count() = %d" % (
        some["ds"]["threads"], ", ".join("%s %s" % (NAMES[f], some[f]["threads"])
                                         for f in frameworks), ", ".join(sorted(
                                             {some[f]["version"] for f in frameworks})),
        os.cpu_count()))
    print("Settings: %s" % "; ".join("%s: %s" % (NAMES[f], some[f]["note"])
                                     for f in frameworks))
    print()
    heads = ["DS"] + [NAMES[f] for f in frameworks]
    print("| model | params | B × T | " + " | ".join(heads) + " | " +
          " | ".join("DS/" + NAMES[f].replace("PyTorch ", "") for f in frameworks) + " |")
    print("|---|---:|---|" + "---:|" * (len(heads) + len(frameworks)))
    for model, n_params, B, T, r in rows:
        cells = [common.cell(r[f]["ms"], B * T) for f in ["ds"] + frameworks]
        ratios = ["%.2f" % (r[f]["ms"][0] / r["ds"]["ms"][0]) for f in frameworks]
        print("| %s | %.1fM | %d × %d | %s | %s |" % (model, n_params / 1e6, B, T,
                                                     " | ".join(cells), " | ".join(ratios)))
    print()
    print("Compile time (DS: ds-compile --train; the others: their first step), and "
          "agreement with DS over the %d warm-up steps from the same weights: the largest "
          "relative loss difference, and the worst parameter tensor's share of elements "
          "more than 1 %% of lr from DS's after step %d" % (args.warmup, args.warmup))
    print()
    print("| model | compile: " + " | ".join(heads) + " | loss 1..%d (DS) | " % args.warmup +
          " | ".join("vs DS: " + NAMES[f] for f in frameworks) + " |")
    print("|---|" + "---:|" * len(heads) + "---|" + "---|" * len(frameworks))
    for model, _, _, _, r in rows:
        compiles = ["-" if f == "eager" else "%.1f s" % r[f]["compile_s"]
                    for f in ["ds"] + frameworks]
        losses = " → ".join("%.4f" % x for x in r["ds"]["losses"])
        agree = []
        for f in frameworks:
            off, name, largest = r[f]["agreement"]
            flag = "" if off <= common.AGREEMENT_TOLERANCE and r[f]["loss_diff"] <= 1e-3 \
                else " **MISMATCH** (%s)" % name
            agree.append("loss %.0e, params %.2f %%%s" % (r[f]["loss_diff"], 100 * off, flag))
        print("| %s | %s | %s | %s |" % (model, " | ".join(compiles), losses, " | ".join(agree)))


if __name__ == "__main__":
    sys.exit(main())
