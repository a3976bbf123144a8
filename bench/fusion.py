#!/usr/bin/env python3
"""Kernel fusion (--ds-fuse) on the CPU: generated kernels per training step
and the bytes they move, before and after fusion, and the step time with
and without it, side by side in one run.

Per model (tiny-dense, tiny-moe, gpt-10m; shapes and batch from
models/<name>.textproto, f32, the same weights and batch as
bench/train_step.py):

  kernels   generated loop nests per call of @train_step (an op inside the
            loop over layers counts once per layer): one per linalg op
            without fusion, one per group with it (ds-compile's report)
  traffic   the bytes those kernels read and write (each distinct input
            once, each result once), before and after
  library   calls of the hand-written kernels (GEMM, attention, MoE, loss)
            and their buffers' bytes, which fusion leaves alone
  step      ms of the compiled @train_step run by `ds-run --repeat`,
            `ds-compile --fuse` against `--fuse=false`, the two artifacts
            taking turns (6 rounds of repeat/6 steps each; the median of the
            rounds' medians, min and max over all steps); tokens/s at the
            median, and unfused / fused (above 1: fusion is faster)

    python3 bench/fusion.py [--build build] [--repeat 30] [models...]
"""

import argparse
import os
import re
import sys
import tempfile

import common

MODELS = {"tiny-dense": "tiny-dense.textproto", "tiny-moe": "tiny-moe.textproto",
          "gpt-10m": "gpt-10m.textproto"}

_FUSION_ROW = re.compile(r"^\s+train_step\s+(\d+) -> (\d+)\s+(\d+) -> (\d+)\s+(\d+)\s+(\d+)\s*$",
                         re.M)


def compile_step(build, source, fuse, artifact):
    out = common.run([common.tool(build, "ds-compile"), source, "--train",
                      "--entry=train_step", "--force", "--fuse=%s" % ("true" if fuse else "false"),
                      "-o", artifact])
    row = _FUSION_ROW.search(out)
    if fuse and not row:
        sys.exit("error: no train_step row in ds-compile's fusion report:\n" + out)
    return row and tuple(int(row.group(i)) for i in range(1, 7))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(common.ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=30, help="timed steps per artifact")
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    for model in args.models:
        if model not in MODELS:
            parser.error("unknown model %r (one of %s)" % (model, ", ".join(MODELS)))
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.models:
            print("%s ..." % model, file=sys.stderr, flush=True)
            prep = common.make_model(args.build, MODELS[model], workdir)
            tokens, targets = common.make_batch(prep["cfg"]["vocab_size"], prep["B"], prep["T"])
            prep["batch"] = os.path.join(workdir, model + "-batch.safetensors")
            common.write_safetensors(prep["batch"], {"tokens": tokens, "targets": targets})
            fused = os.path.join(workdir, model + "-fused")
            unfused = os.path.join(workdir, model + "-unfused")
            counts = compile_step(args.build, prep["source"], True, fused)
            compile_step(args.build, prep["source"], False, unfused)
            times = common.time_steps(args.build, [fused, unfused], prep, args.repeat)
            rows.append((model, prep["B"] * prep["T"], counts, times[fused], times[unfused]))
    print("Kernel fusion on the CPU: @train_step, f32; kernels and traffic per step "
          "(before -> after --ds-fuse), step time median (min–max) ms over %d steps "
          "[tokens/s at the median]" % args.repeat)
    print("CPU: %s; threads: DS %s" % (common.cpu_name(), common.ds_threads()))
    print()
    print("| model | kernels | traffic (MB) | library calls (MB) | step, fused | "
          "step, --fuse=false | unfused / fused |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for model, tokens, counts, fused, unfused in rows:
        kb, ka, bb, ba, calls, lib = counts
        print("| %s | %d → %d | %.1f → %.1f (%.0f %%) | %d (%.1f) | %s | %s | %.2f |" % (
            model, kb, ka, bb / 1e6, ba / 1e6, 100.0 * ba / bb, calls, lib / 1e6,
            common.cell(fused, tokens), common.cell(unfused, tokens), unfused[0] / fused[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
