#!/usr/bin/env python3
"""Activation checkpointing (--ds-remat): what each policy keeps, what the
step's memory plan then peaks at, and what it costs in step time, side by
side in one run; what it buys (the largest batch under a memory cap); and
DeepSeek-V3's step computed by the plan without allocating.

Per model, for policies none, selective, full and a budget halfway between
none's peak and full's:

  activations  the forward values @train_step keeps for its backward pass
               (ds-compile's report), and their share of none's
  peak         the memory plan's workspace of @train_step: everything the
               step allocates besides its arguments and results
               (activations, gradients, temporaries)
  recomputed   FLOPs recomputed per step (ds-compile's estimate)
  step         ms of the compiled @train_step run by `ds-run --repeat`
               (same weights, same batch for every policy: the ones
               bench/train_step.py uses); the policies take turns, 6 rounds
               of repeat/6 steps each, and the median is that of the
               rounds' medians (min and max over all steps); tokens/s at
               the median, and the time against none's

Models: gpt-10m (8 x 128 tokens), tiny-moe (its config's 2 x 32), and
tiny-moe at 4 x 256 tokens, where activations dominate the step's memory.

Beside them, the reference a PyTorch user would reach for: the same model
and step (bench/torch_models.py, same weights and batch), eager, without
and with torch.utils.checkpoint (non-reentrant) around every layer; its
activations are what autograd saves (saved_tensors_hooks, parameters
aside). Unlike DS's column they include what the loss's backward reads
(the logits' softmax), which DS's step keeps outside the functions whose
residuals it counts (it is in DS's peak). Needs bench/setup-reference.sh's
venv; without it the PyTorch rows are left out.

What it buys: the largest batch of gpt-10m (128 tokens) whose step fits a
memory cap (--cap, peak workspace) under each policy, from the memory plan
(lowered to the plan only: no code generated, nothing allocated).

DeepSeek-V3 (bf16, 61 layers, one 4096-token sequence, as one rank of a
dp x ep grid holds it): `ds-compile --plan` per policy, per rank.

    python3 bench/remat.py [--build build] [--repeat 20] [--cap 256M]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# The reference a PyTorch user would pick: the same model (bench/torch_models.py),
# eager, with and without torch.utils.checkpoint around every layer.
VENV_PYTHON = os.path.join(common.ROOT, ".bench-venv", "bin", "python")
TORCH_KIND = {"gpt-10m": "gpt2", "tiny-moe": "dsv3", "tiny-moe 4x256": "dsv3"}

MODELS = [("gpt-10m", "gpt-10m.textproto", None),
          ("tiny-moe", "tiny-moe.textproto", None),
          ("tiny-moe 4x256", "tiny-moe.textproto", (4, 256))]
POLICIES = ["none", "selective", "full", "budget"]


def remat_options(policy, budget=None):
    """--ds-remat's options for `policy` (budget: `budget` bytes)."""
    return "budget=%d" % budget if policy == "budget" else "policy=" + policy


def remat_pass(policy, budget=None):
    return "ds-remat{%s}" % remat_options(policy, budget)


def plan_peak(build, source, policy, budget=None):
    """@train_step's memory-plan peak, lowered only to the plan."""
    out = common.run([common.tool(build, "ds-opt"), source, "--ds-autodiff",
                      "--ds-optimizer", "--ds-remat=" + remat_options(policy, budget),
                      "--ds-cpu-pipeline=stop-after=planned entries=train_step"])
    return int(re.search(r"ds.workspace_bytes = (\d+)", out).group(1))


def compile_step(build, source, passes, artifact):
    out = common.run([common.tool(build, "ds-compile"), source, "--train",
                      "--entry=train_step", "--force", "--passes=" + passes, "-o", artifact])
    row = re.search(r"^\s+train_step\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s*$", out, re.M)
    if not row:
        sys.exit("error: no train_step row in ds-compile's report:\n" + out)
    return {"peak": int(row.group(1)), "activations": int(row.group(2)),
            "recomputed": int(row.group(3))}


def prepare(build, config, shape, workdir, name):
    ds_model = common.tool(build, "ds-model")
    stem = os.path.join(workdir, name.replace(" ", "-"))
    source, weights = stem + ".mlir", stem + "-weights.safetensors"
    command = [ds_model, os.path.join(common.ROOT, "models", config), "-o", source,
               "--init-weights=" + weights, "--seed=%d" % common.SEED]
    if shape:
        command += ["--batch-size=%d" % shape[0], "--seq-len=%d" % shape[1]]
    common.run(command)
    text = common.run([ds_model, os.path.join(common.ROOT, "models", config),
                       "--print-config"])
    B = shape[0] if shape else int(re.search(r"batch_size:\s*(\d+)", text).group(1))
    T = shape[1] if shape else int(re.search(r"seq_len:\s*(\d+)", text).group(1))
    vocab = int(re.search(r"vocab_size:\s*(\d+)", text).group(1))
    tokens, targets = common.make_batch(vocab, B, T)
    batch = stem + "-batch.safetensors"
    common.write_safetensors(batch, {"tokens": tokens, "targets": targets})
    config_json = stem + "-config.json"
    with open(config_json, "w") as f:
        f.write(common.run([ds_model, os.path.join(common.ROOT, "models", config),
                            "--print-hf-config"]))
    return {"source": source, "weights": weights, "batch": batch, "config": config_json,
            "B": B, "T": T, "stem": stem}


def torch_worker(args):
    """In the reference venv: PyTorch eager's step on one model, without
    and with per-layer checkpointing; prints JSON {policy: {saved, ms}}."""
    import torch
    import torch_models

    with open(args.stem + "-config.json") as f:
        cfg = json.load(f)
    weights = common.read_safetensors(args.stem + "-weights.safetensors")
    batch = common.read_safetensors(args.stem + "-batch.safetensors")
    tokens = torch.from_numpy(batch["tokens"]).long()
    targets = torch.from_numpy(batch["targets"]).long()
    results = {}
    for checkpoint in (False, True):
        step = torch_models.make_step(args.kind, cfg, weights, checkpoint=checkpoint)
        # Saved activations: what autograd keeps for the backward pass
        # (torch.autograd.graph.saved_tensors_hooks), the parameters aside,
        # each storage once.
        params = {t.untyped_storage().data_ptr() for t in step.params.values()}
        saved = {}

        def pack(t):
            storage = t.untyped_storage()
            if storage.data_ptr() not in params:
                saved[storage.data_ptr()] = storage.nbytes()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            loss, _ = step.loss_fn(step.params, tokens, targets)
        del loss
        for _ in range(2):
            step(tokens, targets)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            step(tokens, targets).item()
            times.append((time.perf_counter() - start) * 1000.0)
        results["checkpoint" if checkpoint else "none"] = {
            "saved": sum(saved.values()), "ms": common.stats(times)}
    results["version"] = torch.__version__
    results["threads"] = torch.get_num_threads()
    print(json.dumps(results))


def torch_rows(name, prep, repeat):
    """PyTorch eager without and with per-layer checkpointing, or None when
    the reference venv (bench/setup-reference.sh) is missing."""
    if not os.access(VENV_PYTHON, os.X_OK):
        return None
    out = subprocess.run([VENV_PYTHON, os.path.abspath(__file__), "--torch-worker",
                          "--stem", prep["stem"], "--kind", TORCH_KIND[name],
                          "--repeat", str(repeat)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("error: the PyTorch worker failed:\n" + out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def model_table(build, name, config, shape, workdir, repeat):
    prep = prepare(build, config, shape, workdir, name)
    tokens = prep["B"] * prep["T"]
    rows, artifacts = {}, {}
    for policy in ["none", "selective", "full"]:
        artifacts[policy] = os.path.join(workdir, "%s-%s" % (name.replace(" ", "-"), policy))
        rows[policy] = compile_step(build, prep["source"], remat_pass(policy),
                                    artifacts[policy])
    budget = (rows["none"]["peak"] + rows["full"]["peak"]) // 2
    artifacts["budget"] = os.path.join(workdir, "%s-budget" % name.replace(" ", "-"))
    rows["budget"] = compile_step(build, prep["source"], remat_pass("budget", budget),
                                  artifacts["budget"])
    rows["budget"]["budget"] = budget
    times = common.time_steps(build, [artifacts[policy] for policy in POLICIES], prep, repeat)
    for policy in POLICIES:
        rows[policy]["ms"] = times[artifacts[policy]]

    reference = torch_rows(name, prep, repeat)
    print("\n### %s (batch %d x %d tokens)\n" % (name, prep["B"], prep["T"]))
    print("| policy | activations (MB) | of none's | peak (MB) | recomputed (GFLOP/step) "
          "| step ms, median (min–max) [tokens/s] | time vs none |")
    print("|---|---|---|---|---|---|---|")
    base = rows["none"]
    for policy in POLICIES:
        r = rows[policy]
        label = policy if policy != "budget" else "budget=%.1fM" % (r["budget"] / 1e6)
        peak = "%.2f" % (r["peak"] / 1e6)
        if policy == "budget":
            peak += " (%.1f %% of the budget)" % (100.0 * r["peak"] / r["budget"])
        print("| %s | %.2f | %.0f %% | %s | %.3f | %s | %+.1f %% |" % (
            label, r["activations"] / 1e6, 100.0 * r["activations"] / base["activations"],
            peak, r["recomputed"] / 1e9, common.cell(r["ms"], tokens, 2),
            100.0 * (r["ms"][0] / base["ms"][0] - 1.0)))
    if reference:
        for policy, label in [("none", "PyTorch %s eager" % reference["version"]),
                              ("checkpoint", "PyTorch eager, torch.utils.checkpoint "
                                             "per layer")]:
            r = reference[policy]
            print("| %s | %.2f | %.0f %% | – | – | %s | %+.1f %% |" % (
                label, r["saved"] / 1e6, 100.0 * r["saved"] / reference["none"]["saved"],
                common.cell(r["ms"], tokens, 2),
                100.0 * (r["ms"][0] / reference["none"]["ms"][0] - 1.0)))
    return rows


def largest_batch(build, cap, workdir):
    """The largest gpt-10m batch (128 tokens) whose step fits `cap` bytes."""
    print("\n### What it buys: the largest gpt-10m batch (x 128 tokens) within a "
          "%.0f MB peak\n" % (cap / 1e6))
    print("| policy | largest batch | its peak (MB) | tokens per step |")
    print("|---|---|---|---|")
    ds_model = common.tool(build, "ds-model")
    for policy in ["none", "selective", "full", "budget"]:
        best = None
        for batch in [8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64]:
            source = os.path.join(workdir, "gpt-10m-b%d.mlir" % batch)
            if not os.path.exists(source):
                common.run([ds_model, os.path.join(common.ROOT, "models", "gpt-10m.textproto"),
                            "--batch-size=%d" % batch, "-o", source])
            try:
                peak = plan_peak(build, source, policy, cap)
            except SystemExit:
                break  # the budget is out of reach at this batch
            if peak > cap:
                break
            best = (batch, peak)
        if best:
            print("| %s | %d | %.1f | %d |" % (
                policy if policy != "budget" else "budget=%.0fM" % (cap / 1e6),
                best[0], best[1] / 1e6, best[0] * 128))
        else:
            print("| %s | none fits | | |" % policy)


def deepseek_v3(build):
    print("\n### DeepSeek-V3, one 4096-token sequence (a rank's share under dp x ep), "
          "bf16, by `ds-compile --plan`\n")
    print("| policy | activations (GB) | of none's | parameters + gradients + "
          "optimizer state (GB) | recomputed (TFLOP/step) | of the step | plan time (s) |")
    print("|---|---|---|---|---|---|---|")
    base = None
    for policy in ["none", "selective", "full"]:
        start = time.perf_counter()
        out = common.run([common.tool(build, "ds-compile"),
                          os.path.join(common.ROOT, "models", "deepseek-v3.textproto"),
                          "--batch-size=1", "--seq-len=4096", "--train",
                          "--passes=" + remat_pass(policy), "--plan"])
        seconds = time.perf_counter() - start
        value = lambda what: int(re.search(r"^\s+%s\s+(\d+)" % what, out, re.M).group(1))
        acts = value("activations")
        state = value("parameters") + value("gradients") + value("optimizer state")
        flops = re.search(r"recomputed per step: (\d+) FLOP \(([0-9.]+) %", out)
        base = base or acts
        print("| %s | %.2f | %.0f %% | %.0f | %.1f | %s %% | %.2f |" % (
            policy, acts / 1e9, 100.0 * acts / base, state / 1e9,
            int(flops.group(1)) / 1e12, flops.group(2), seconds))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(common.ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cap", default="256M", help="memory cap of the batch search")
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stem", help=argparse.SUPPRESS)
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("models", nargs="*", help="a subset of: " +
                        ", ".join(name for name, _, _ in MODELS))
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args)
    cap = int(float(args.cap.rstrip("M")) * 1e6)
    print("Activation checkpointing, f32, %s; DS threads: %s" % (common.cpu_name(),
                                                                  common.ds_threads()))
    with tempfile.TemporaryDirectory() as workdir:
        for name, config, shape in MODELS:
            if args.models and name not in args.models:
                continue
            model_table(args.build, name, config, shape, workdir, args.repeat)
        largest_batch(args.build, cap, workdir)
        deepseek_v3(args.build)


if __name__ == "__main__":
    main()
