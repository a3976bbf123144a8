"""Feeds ds-opt malformed input and checks it fails cleanly.

Every input is run through `ds-opt <file>`; the run must end with exit code 0
(the mutation happened to stay valid) or 1 (rejected), never a signal (crash,
assertion) or a hang, and a rejection must print a located error
(`file:line:col: error:`). Inputs, all deterministic (fixed seeds):
  * each seed model truncated at many points;
  * each seed model with random byte edits (flips, deletions, insertions of
    IR punctuation, duplicated lines);
  * files of random bytes and of random IR-like tokens.

usage: malformed_inputs.py DS_OPT WORKDIR MODEL.mlir...
"""
import os
import random
import re
import subprocess
import sys

LOCATED_ERROR = re.compile(rb"\.mlir:\d+:\d+: error: ")
TOKENS = [b"ds.add", b"ds.matmul", b"ds.attention", b"ds.moe_route", b"%0", b"%x",
          b"=", b":", b",", b"(", b")", b"<", b">", b"{", b"}", b"[", b"]", b"->",
          b"tensor<4x?xf32>", b"tensor<f8E4M3FN>", b"dense<1.0>", b"func.func",
          b"@f", b"return", b"axis", b"-1", b"999999999999999999999", b"#ds.param",
          b"\"", b"\n", b" ", b"0x7FC00000", b"i1", b"bf16", b"transpose_rhs"]


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(4)
        pos = rng.randrange(len(data)) if data else 0
        if kind == 0 and data:
            data[pos] = rng.randrange(256)
        elif kind == 1 and data:
            del data[pos:pos + rng.randint(1, 40)]
        elif kind == 2:
            data[pos:pos] = rng.choice(TOKENS)
        else:
            lines = bytes(data).split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[rng.randrange(len(lines))])
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def cases(models):
    rng = random.Random(20261123)
    for path in models:
        data = open(path, "rb").read()
        name = os.path.basename(path)
        for cut in sorted(set(rng.randrange(len(data)) for _ in range(60))):
            yield f"{name}-truncated-at-{cut}", data[:cut]
        for i in range(80):
            yield f"{name}-mutation-{i}", mutate(rng, data)
    for i in range(20):
        yield f"random-bytes-{i}", bytes(rng.randrange(256) for _ in range(rng.randint(1, 4096)))
    for i in range(40):
        yield f"random-tokens-{i}", b" ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 200)))


def main():
    ds_opt, workdir, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(workdir, exist_ok=True)
    failures, counts = [], {"accepted": 0, "rejected": 0}
    for name, data in cases(models):
        path = os.path.join(workdir, name + ".mlir")
        with open(path, "wb") as f:
            f.write(data)
        try:
            run = subprocess.run([ds_opt, path, "-o", os.devnull],
                                 capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            failures.append(f"{path}: hung (no exit within 20 s)")
            continue
        if run.returncode == 0:
            counts["accepted"] += 1
        elif run.returncode == 1 and LOCATED_ERROR.search(run.stderr):
            counts["rejected"] += 1
        else:
            tail = run.stderr.decode(errors="replace")[-600:]
            failures.append(f"{path}: exit code {run.returncode}\n{tail}")
        if not failures or failures[-1].split(":")[0] != path:
            os.remove(path)
    print(f"malformed inputs: {counts['rejected']} rejected with a located "
          f"error, {counts['accepted']} still valid, {len(failures)} bad")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
