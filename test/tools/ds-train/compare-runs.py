"""Compares two ds-train runs step by step: the losses in metrics.jsonl and
the final checkpoint's tensors (parameters and optimizer state).

    compare-runs.py RUN_A RUN_B --loss-rtol=1e-5 --weight-rtol=1e-5

Losses must agree within the relative tolerance at every step both runs
logged. A tensor agrees when ||a - b|| <= rtol * ||a|| (the Euclidean norm
over its elements). Prints the worst of each and exits 1 on disagreement;
--ignore=SUBSTRING (repeatable) leaves out tensors whose name contains it,
for directions the loss does not depend on (see the test that uses it).
"""
import argparse
import json
import math
import os
import struct
import sys
from array import array


def losses(run):
    out = {}
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if "last_loss" in record:
                out[record["step"]] = record["last_loss"]
    return out


def newest_checkpoint(run):
    directory = os.path.join(run, "checkpoints")
    steps = sorted(d for d in os.listdir(directory) if d.startswith("step-"))
    return os.path.join(directory, steps[-1])


def read_file(path):
    """The F32 tensors of one safetensors file, by name, as (shape, values)."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        begin, end = info["data_offsets"]
        values = array("f")
        values.frombytes(data[base + begin : base + end])
        out[name] = (info["shape"], values)
    return out


def tensors(checkpoint):
    """Every F32 tensor of a checkpoint directory, whole: the blocks that
    ranks wrote to their shard files are put where checkpoint.json's slices
    say (dimension, first index, whole shape)."""
    with open(os.path.join(checkpoint, "checkpoint.json")) as f:
        info = json.load(f)
    out = {}
    for file in info["files"]:
        slices = info.get("slices", {}).get(file, {})
        for name, (shape, values) in read_file(os.path.join(checkpoint, file)).items():
            if name not in slices:
                out[name] = values
                continue
            where = slices[name]
            whole_shape, dim, start = where["shape"], where["dim"], where["start"]
            if name not in out:
                out[name] = array("f", bytes(4 * math.prod(whole_shape)))
            outer = math.prod(whole_shape[:dim])
            inner = math.prod(whole_shape[dim + 1 :])
            rows = shape[dim] * inner
            for o in range(outer):
                at = (o * whole_shape[dim] + start) * inner
                out[name][at : at + rows] = values[o * rows : (o + 1) * rows]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--loss-rtol", type=float, required=True)
    parser.add_argument("--weight-rtol", type=float, required=True)
    parser.add_argument("--ignore", action="append", default=[])
    args = parser.parse_args()

    ok = True
    la, lb = losses(args.a), losses(args.b)
    common = sorted(set(la) & set(lb))
    if not common or set(la) != set(lb):
        print(f"logged steps differ: {sorted(la)} vs {sorted(lb)}")
        return 1
    worst_loss = max(abs(la[s] - lb[s]) / abs(la[s]) for s in common)
    print(f"steps: {len(common)}; worst relative loss difference: {worst_loss:.2e}")
    ok &= worst_loss <= args.loss_rtol

    ta = tensors(newest_checkpoint(args.a))
    tb = tensors(newest_checkpoint(args.b))
    if set(ta) != set(tb):
        print(f"checkpoint tensors differ: {sorted(set(ta) ^ set(tb))}")
        return 1
    worst, worst_name = 0.0, ""
    for name in sorted(ta):
        if any(part in name for part in args.ignore):
            continue
        a, b = ta[name], tb[name]
        diff = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
        norm = math.sqrt(sum(x * x for x in a))
        rel = diff / norm if norm > 0 else diff
        if rel > worst:
            worst, worst_name = rel, name
    print(f"tensors: {len(ta)}; worst relative difference: {worst:.2e} ({worst_name})")
    ok &= worst <= args.weight_rtol
    print("agree" if ok else "DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
