#!/usr/bin/env python3
"""Data-parallel training of DS on one machine: one process against 2 ranks
under mpirun, plain data parallelism (dp=2), ZeRO-1 (dp=2 zero=1),
ZeRO-3 (dp=2 zero=3), tensor parallelism (tp=2) and expert parallelism
(ep=2), the same model,
global batch, data and steps.

For each configuration: ds-compile's per-rank state (parameters, optimizer
state) and communication per step (bytes each rank sends), and ds-train's
speed over the steady steps (the first --skip steps left out), as the
median over --repeat runs with the spread (min–max). tokens/s counts the
global batch: one step of 2 ranks trains as many tokens as one step of one
process.

The reference a user would otherwise pick, in the same run when
.bench-venv exists (bench/setup-reference.sh; --torch to name another
Python): PyTorch with the same model, step and weights
(bench/torch_models.py via bench/torch_ddp.py), in one process and as
2 processes over gloo averaging the gradients with one flattened
all_reduce per step (DDP's bucket), on a fixed random batch of the same
shape.

What it cannot show here: speed-up. On a machine of 2 cores one process
already uses both (OpenMP), so 2 ranks of 1 thread each do the same work on
the same cores plus the collectives; the table measures that overhead, not
scaling (docs/performance.md says more).

    python3 bench/distributed.py [--build build] [--model tiny-moe]
        [--batch 8] [--steps 60] [--skip 10] [--repeat 3] [--torch PYTHON]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(command, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit("error: %s failed (exit %d):\n%s%s" % (
            " ".join(command), result.returncode, result.stdout, result.stderr))
    return result.stdout


def tool(build, name):
    path = os.path.join(build, "bin", name)
    if not os.access(path, os.X_OK):
        sys.exit("error: %s not found: build DS first (tools/setup.sh)" % path)
    return path


def compile_step(build, config, batch, passes, out):
    command = [tool(build, "ds-compile"), config, "--train",
               "--batch-size=%d" % batch, "--entry=train_step,loss", "-o", out,
               "--force"]
    if passes:
        command.insert(3, "--passes=" + passes)
    return run(command)


def state_and_traffic(report):
    """(parameters B, optimizer state B, sent bytes per rank per step) from
    ds-compile's report (an unsharded step sends nothing)."""
    state = re.search(r"state per rank of @train_step: parameters (\d+) B, "
                      r"optimizer state (\d+) B", report)
    # The total line; "*" marks bytes that depend on the routing (expert
    # parallelism's all-to-all-v, counted under uniform routing).
    total = re.search(r"^\s+total\s+\d+\s+\d+\s+(\d+)( \*)?\s*$", report,
                      re.M)
    if not state:
        return None
    sent = int(total.group(1)) if total else 0
    return int(state.group(1)), int(state.group(2)), sent


def train(build, artifact, data, run_dir, ranks, steps, threads):
    shutil.rmtree(run_dir, ignore_errors=True)
    command = [tool(build, "ds-train"), artifact, "--data=" + data,
               "--run=" + run_dir, "--steps=%d" % steps, "--log-every=1",
               "--eval-every=0", "--quiet"]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if ranks > 1:
        mpirun = shutil.which("mpirun")
        if not mpirun:
            sys.exit("error: mpirun not found (tools/setup.sh installs OpenMPI)")
        command = [mpirun, "--allow-run-as-root", "--oversubscribe",
                   "-x", "OMP_NUM_THREADS", "-np", str(ranks)] + command
    run(command, env)
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f if '"elapsed_s"' in line]
    return records


def steady_ms_per_step(records, skip):
    """ms per step between step `skip` and the last (elapsed_s is the time
    since the run's first step began)."""
    by_step = {r["step"]: r["elapsed_s"] for r in records}
    last = max(by_step)
    return (by_step[last] - by_step[skip]) / (last - skip) * 1000.0


def torch_rows(args, config, work, cores):
    """PyTorch in 1 process and 2 over gloo, the same weights and step."""
    weights = os.path.join(work, "weights.safetensors")
    model = tool(args.build, "ds-model")
    run([model, config, "--batch-size=%d" % args.batch, "-o",
         os.path.join(work, "model.mlir"), "--init-weights=" + weights,
         "--seed=1"])
    cfg = os.path.join(work, "config.json")
    with open(cfg, "w") as f:
        f.write(run([model, config, "--print-hf-config"]))
    seq = int(re.search(r"seq_len:\s*(\d+)", open(config).read()).group(1))
    rows = []
    for name, ranks in (("PyTorch, 1 process", 1),
                        ("PyTorch DDP (gloo), dp=2", 2)):
        times = []
        for _ in range(args.repeat):
            out = run([args.torch, os.path.join(ROOT, "bench", "torch_ddp.py"),
                       weights, cfg, "--batch=%d" % args.batch,
                       "--seq=%d" % seq, "--ranks=%d" % ranks,
                       "--steps=%d" % args.steps, "--skip=%d" % args.skip])
            times.append(float(out.split()[0]))
        rows.append((name, ranks, max(1, cores // ranks), (None, None, None),
                     times))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--model", default="tiny-moe")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--skip", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="",
                        help="comma-separated configurations to run (their "
                             "names in the table: '1 process,ep=2'); all "
                             "when empty")
    parser.add_argument("--torch", default=os.path.join(ROOT, ".bench-venv",
                                                        "bin", "python"))
    args = parser.parse_args()
    config = os.path.join(ROOT, "models", args.model + ".textproto")
    cores = os.cpu_count()

    work = tempfile.mkdtemp(prefix="ds-bench-distributed-")
    try:
        data = os.path.join(work, "data")
        run([tool(args.build, "ds-data"), "prepare",
             os.path.join(ROOT, "test/tools/ds-data/Inputs/genesis.txt"),
             "-o", data, "--vocab-size=512", "--val-fraction=0.1"])
        configs = [("1 process", "", 1, cores),
                   ("dp=2", "ds-shard{dp=2}", 2, max(1, cores // 2)),
                   ("dp=2 zero=1", "ds-shard{dp=2 zero=1}", 2,
                    max(1, cores // 2)),
                   ("dp=2 zero=3", "ds-shard{dp=2 zero=3}", 2,
                    max(1, cores // 2)),
                   ("tp=2", "ds-shard{tp=2}", 2, max(1, cores // 2)),
                   ("ep=2", "ds-shard{ep=2}", 2, max(1, cores // 2)),
                   ("ep=2 ep-dispatch=all-gather",
                    "ds-shard{ep=2 ep-dispatch=all-gather}", 2,
                    max(1, cores // 2))]
        if args.only:
            wanted = set(args.only.split(","))
            configs = [c for c in configs if c[0] in wanted]
        rows = []
        for name, passes, ranks, threads in configs:
            artifact = os.path.join(work, "art-%d" % len(rows))
            report = compile_step(args.build, config, args.batch, passes,
                                  artifact)
            state = state_and_traffic(report)
            times = []
            for i in range(args.repeat):
                records = train(args.build, artifact, data,
                                os.path.join(work, "run"), ranks, args.steps,
                                threads)
                times.append(steady_ms_per_step(records, args.skip))
            rows.append((name, ranks, threads, state, times))
        if os.access(args.torch, os.X_OK):
            rows += torch_rows(args, config, work, cores)
        else:
            print("note: %s not found: no PyTorch reference "
                  "(bench/setup-reference.sh)" % args.torch, file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # The global batch: ds-compile's --batch-size, T from the config.
    seq = int(re.search(r"seq_len:\s*(\d+)", open(config).read()).group(1))
    tokens = args.batch * seq
    print("%s, global batch %d x %d tokens, %d steps (steps %d..%d timed), "
          "%d runs each, %d cores" % (args.model, args.batch, seq, args.steps,
                                      args.skip, args.steps, args.repeat,
                                      cores))
    print("| configuration | ranks × threads | parameters / rank | optimizer "
          "state / rank | sent / rank / step | ms / step: median (min–max) "
          "| tokens/s | vs 1 process |")
    print("|---|---|---|---|---|---|---|---|")
    base = statistics.median(rows[0][4])
    for name, ranks, threads, state, times in rows:
        med = statistics.median(times)
        params, opt, sent = (("%.2f MB" % (b / 1e6)) if b is not None
                             else "-" for b in state)
        print("| %s | %d × %d | %s | %s | %s | %.1f (%.1f–%.1f) | %.0f | "
              "%.2f× |" % (name, ranks, threads, params, opt, sent, med,
                           min(times), max(times), tokens / med * 1000.0,
                           base / med))


if __name__ == "__main__":
    main()
