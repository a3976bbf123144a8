#!/usr/bin/env python3
"""The device suite's helpers (tools/gpu-check.sh), with nothing but the
standard library: GPU nodes have Python but no packages we can count on.

  gpu_check.py inputs ARTIFACT ENTRY OUT.safetensors --vocab=V [--seed=S]
      random arguments for ENTRY, by name, from the artifact's manifest
      (never zeros; tokens in [0, V); second moments non-negative)
  gpu_check.py digest RESULTS.safetensors DIGEST.json
      what compare needs of each result, small enough to ship: its 2-norm
      and every k-th value (at most 1024 values per tensor)
  gpu_check.py compare DIGEST.json GOT.safetensors --rtol=R
      every tensor of the digest against GOT: relative 2-norm error
      ‖got − expected‖ / ‖expected‖ <= R over the sampled values, and the
      whole tensors' 2-norms within R; integers exactly
  gpu_check.py losses EXPECTED/metrics.jsonl GOT/metrics.jsonl --first=R1 --all=R2
      the training losses of two runs, step by step: the first step
      within R1 relative, every step within R2

Exit status 0 when everything is within tolerance, 1 otherwise.
"""

import argparse
import array
import json
import math
import random
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I32": "i", "I64": "q"}
SIZES = {"F32": 4, "F64": 8, "I32": 4, "I64": 8, "BF16": 2, "F16": 2}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = blob[base + begin:base + end]
        dtype = info["dtype"]
        if dtype == "BF16":
            values = [struct.unpack("<f", b"\0\0" + raw[i:i + 2])[0]
                      for i in range(0, len(raw), 2)]
        else:
            values = array.array(FORMATS[dtype])
            values.frombytes(raw)
            if sys.byteorder != "little":
                values.byteswap()
        tensors[name] = (dtype, info["shape"], values)
    return tensors


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, (dtype, shape, values) in tensors.items():
        data = array.array(FORMATS[dtype], values).tobytes()
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def random_inputs(args):
    with open(f"{args.artifact}/manifest.json") as f:
        manifest = json.load(f)
    entry = next((e for e in manifest["entries"] if e["name"] == args.entry),
                 None)
    if entry is None:
        sys.exit(f"gpu_check.py: {args.artifact} has no entry {args.entry}")
    rng = random.Random(args.seed)
    tensors = {}
    for argument in entry["arguments"]:
        name, dtype = argument["name"], argument["dtype"]
        shape = argument["shape"]
        count = math.prod(shape)
        if dtype in ("I32", "I64"):
            # Token ids for tensors; a step counter (1) for scalars.
            values = ([1] * count if not shape else
                      [rng.randrange(args.vocab) for _ in range(count)])
        elif name.startswith("exp_avg_sq."):
            values = [rng.uniform(1e-8, 1e-6) for _ in range(count)]
        elif argument.get("role") in ("param", "state"):
            values = [rng.uniform(-0.1, 0.1) for _ in range(count)]
        else:
            values = [rng.uniform(-1.0, 1.0) for _ in range(count)]
        if dtype not in FORMATS:
            sys.exit(f"gpu_check.py: argument {name}: dtype {dtype} is not "
                     "supported here")
        tensors[name] = (dtype, shape, values)
    write_safetensors(args.out, tensors)


SAMPLES = 1024


def norm(values):
    return math.sqrt(math.fsum(v * v for v in values))


def digest(args):
    results = read_safetensors(args.results)
    out = {}
    for name, (dtype, shape, values) in results.items():
        stride = max(1, -(-len(values) // SAMPLES))
        out[name] = {"dtype": dtype, "shape": shape, "stride": stride,
                     "norm": norm(values), "samples": list(values[::stride])}
    with open(args.digest, "w") as f:
        json.dump(out, f)


def compare(args):
    with open(args.expected) as f:
        expected = json.load(f)
    got = read_safetensors(args.got)
    failures = 0
    for name, want in expected.items():
        if name not in got:
            print(f"  {name}: missing")
            failures += 1
            continue
        have = got[name][2]
        if list(got[name][1]) != want["shape"]:
            print(f"  {name}: shape {got[name][1]}, expected {want['shape']}")
            failures += 1
            continue
        samples = list(have[::want["stride"]])
        if want["dtype"] in ("I32", "I64"):
            bad = sum(1 for a, b in zip(want["samples"], samples) if a != b)
            ok = bad == 0
            text = "exact" if ok else f"{bad} differ"
        else:
            finite = all(math.isfinite(b) for b in have)
            diff = norm([b - a for a, b in zip(want["samples"], samples)])
            scale = norm(want["samples"])
            error = diff / scale if scale > 0 else diff
            whole = abs(norm(have) - want["norm"]) / max(want["norm"], 1e-30)
            ok = finite and error <= args.rtol and whole <= args.rtol
            text = (f"rel {error:.2e}, norm {whole:.2e}" if finite
                    else "non-finite")
        failures += not ok
        if not ok or args.verbose:
            print(f"  {name}: {text} {'ok' if ok else 'FAIL'}")
    print(f"{len(expected)} tensors, {failures} outside rtol {args.rtol:g}")
    return 0 if failures == 0 else 1


def read_losses(path):
    losses = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if "loss" in record and "step" in record and \
                    record.get("kind", "train") == "train":
                losses[record["step"]] = record["loss"]
    return losses


def losses(args):
    want, have = read_losses(args.expected), read_losses(args.got)
    steps = sorted(want)
    if not steps or steps != sorted(have):
        print(f"steps differ: expected {steps[:3]}..., got "
              f"{sorted(have)[:3]}...")
        return 1
    worst, failures = 0.0, 0
    for i, step in enumerate(steps):
        error = abs(have[step] - want[step]) / abs(want[step])
        worst = max(worst, error)
        limit = args.first if i == 0 else args.all
        if error > limit or not math.isfinite(have[step]):
            failures += 1
            print(f"  step {step}: {have[step]:.6f} against {want[step]:.6f} "
                  f"(rel {error:.2e} > {limit:g})")
    print(f"{len(steps)} steps: loss {want[steps[0]]:.4f} -> "
          f"{want[steps[-1]]:.4f} on the CPU, {have[steps[0]]:.4f} -> "
          f"{have[steps[-1]]:.4f} here; largest difference {worst:.2e}")
    return 0 if failures == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inputs")
    p.add_argument("artifact")
    p.add_argument("entry")
    p.add_argument("out")
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("digest")
    p.add_argument("results")
    p.add_argument("digest")
    p = sub.add_parser("compare")
    p.add_argument("expected")
    p.add_argument("got")
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--verbose", action="store_true")
    p = sub.add_parser("losses")
    p.add_argument("expected")
    p.add_argument("got")
    p.add_argument("--first", type=float, required=True)
    p.add_argument("--all", type=float, required=True)
    args = parser.parse_args()
    if args.command == "inputs":
        random_inputs(args)
        return 0
    if args.command == "digest":
        digest(args)
        return 0
    return compare(args) if args.command == "compare" else losses(args)


if __name__ == "__main__":
    sys.exit(main())
