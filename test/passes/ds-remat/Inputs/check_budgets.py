#!/usr/bin/env python3
"""Checks --ds-remat's budget policy on a model: for each budget, the
rebuilt step's memory plan peaks at or under the budget, and it recomputes
no more FLOPs than policy full where full fits the budget too.

    check_budgets.py MODEL.mlir WORKDIR BUDGET...

Prints one row per budget (peak, recomputed FLOPs) and "all budgets met"."""
import os
import re
import subprocess
import sys


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def step(model, workdir, name, remat):
    """The peak of @train_step's memory plan and its recomputed FLOPs."""
    path = os.path.join(workdir, name + ".mlir")
    run("ds-opt", model, "--ds-autodiff", "--ds-optimizer",
        "--ds-remat=" + remat, "-o", path)
    planned = run("ds-opt", path,
                  "--ds-cpu-pipeline=stop-after=planned entries=train_step")
    peak = int(re.search(r"ds.workspace_bytes = (\d+)", planned).group(1))
    plan = run("ds-compile", path, "--plan")
    flops = int(re.search(r"recomputed per step: (\d+) FLOP", plan).group(1))
    return peak, flops


def main():
    model, workdir, budgets = sys.argv[1], sys.argv[2], sys.argv[3:]
    none_peak, _ = step(model, workdir, "none", "policy=none")
    full_peak, full_flops = step(model, workdir, "full", "policy=full")
    print(f"none: peak {none_peak}; full: peak {full_peak}, "
          f"recomputed {full_flops} FLOP")
    failures = 0
    for budget in budgets:
        peak, flops = step(model, workdir, "budget-" + budget, "budget=" + budget)
        limit = int(budget)
        ok = peak <= limit and (full_peak > limit or flops <= full_flops)
        print(f"budget {limit}: peak {peak} ({100.0 * peak / limit:.1f} % of "
              f"it), recomputed {flops} FLOP "
              f"({100.0 * flops / max(full_flops, 1):.0f} % of full's) "
              f"{'ok' if ok else 'FAILED'}")
        failures += not ok
    if failures:
        sys.exit(f"{failures} budget(s) not met")
    print("all budgets met")


if __name__ == "__main__":
    main()
