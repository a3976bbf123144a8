"""Checks a data-parallel communication table against the textbook volume.

    check-volumes.py [--zero=1|3] UNSHARDED.mlir TABLE N [TABLE N ...]

UNSHARDED.mlir is the training step before --ds-shard; each TABLE is what
--ds-print-communication printed for it sharded over N ranks. Ψ is counted
here from the IR, independently of the pass: the bytes of every parameter
trained by its gradient (all but the selection biases that the expert
load moves, named by the `ds.balances` results) plus the expert load
itself. Data parallelism must sum exactly that in its gradient buckets,
sending 2Ψ(N-1)/N bytes per rank (a ring all_reduce), and nothing else
but the loss's scalars.

With --zero=1 (ZeRO-1) the weights' gradients Ψw (Ψ without the expert
load) are reduce-scattered, Ψw(N-1)/N sent per rank, and the updated
weights all-gathered, Ψw(N-1)/N again: the same 2Ψw(N-1)/N as data
parallelism; only the expert load and scalars are all-reduced.

With --zero=3 the gradients are reduce-scattered alike, and the weights
gathered where they are used: every weight at least once (the forward
pass) and at most twice (again in the backward pass; a weight the backward
does not read, such as the embedding table, once), so each rank sends
between 2Ψw(N-1)/N and the textbook 3Ψw(N-1)/N.
"""
import re
import sys

DTYPE_BYTES = {"f32": 4, "f16": 2, "bf16": 2, "f64": 8, "i32": 4, "i64": 8}


def tensor_bytes(spec):
    *dims, dtype = spec.split("x")
    count = 1
    for d in dims:
        count *= int(d)
    return count * DTYPE_BYTES[dtype]


def textbook_psi(path):
    text = open(path).read()
    start = text.index("func.func @train_step(")
    signature = text[start:text.index("\n", start)]
    params = re.findall(r'%arg\d+: tensor<([^>]*)> \{ds\.param = #ds\.param<"([^"]+)"', signature)
    results = signature[signature.index(") -> (") :]
    loads = re.findall(r'tensor<([^>]*)> \{ds\.balances = "([^"]+)"', results)
    balanced = {bias for _, bias in loads}
    assert params, "no parameters found in @train_step"
    trained = sum(tensor_bytes(t) for t, name in params if name not in balanced)
    load = sum(tensor_bytes(t) for t, _ in loads)
    return trained + load, len(params), len(balanced), load


ROW = re.compile(r"^\s+(\S+)\s+(\S+)\s+(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")


def table_rows(path):
    rows = []
    for line in open(path):
        m = ROW.match(line)
        if m and m.group(1) != "total":
            c, axes, purpose, ranks, count, payload, sent = m.groups()
            rows.append((c, axes, purpose, int(ranks), int(count), int(payload), int(sent)))
    return rows


def check_dp(rows, n, psi, failures):
    for c, axes, purpose, ranks, count, payload, sent in rows:
        if c != "all_reduce" or axes != "dp" or ranks != n:
            failures.append(f"N={n}: unexpected {c} over {axes} ({ranks} ranks) for {purpose}")
        elif sent != 2 * payload * (n - 1) // n:
            failures.append(f"N={n}: {purpose}: sends {sent}, ring all_reduce of {payload} is {2 * payload * (n - 1) // n}")
    buckets = [r for r in rows if r[2] == "gradient bucket"]
    bucketed = sum(r[5] for r in buckets)
    expected = 2 * psi * (n - 1) // n
    sent = sum(r[6] for r in buckets)
    print(f"N={n}: gradient buckets {len(buckets)} row(s), Ψ {bucketed}, sent/rank {sent}; textbook 2Ψ(N-1)/N = {expected}")
    if bucketed != psi or sent != expected:
        failures.append(f"N={n}: gradient buckets move {bucketed} bytes (sent {sent}), textbook Ψ = {psi} (sent {expected})")
    other = [r for r in rows if r[2] != "gradient bucket"]
    if sum(r[5] for r in other) > 64:
        failures.append(f"N={n}: more than the loss's scalars outside the buckets: {other}")


def check_zero(rows, n, psi_w, load, failures, stage):
    def total(kind, purpose):
        picked = [r for r in rows if r[0] == kind and r[2] == purpose]
        return sum(r[5] for r in picked), sum(r[6] for r in picked)
    expected = psi_w * (n - 1) // n
    if stage == 3:
        payload, sent = total("reduce_scatter", "gradient shard")
        gathered, gathered_sent = total("all_gather", "ZeRO-3 weights")
        everything = sum(r[6] for r in rows)
        print(f"N={n}: reduce_scatter Ψw {payload}, sent/rank {sent}; all_gather {gathered / psi_w:.2f} Ψw, "
              f"sent/rank {gathered_sent}; total sent/rank {everything / expected:.2f} Ψw(N-1)/N")
        if payload != psi_w or sent != expected:
            failures.append(f"N={n}: gradients reduce-scatter {payload} (sent {sent}), textbook Ψw = {psi_w}")
        if not psi_w <= gathered <= 2 * psi_w:
            failures.append(f"N={n}: weights gathered {gathered} bytes, not between Ψw and 2Ψw ({psi_w})")
        if not 2 * expected <= everything <= 3 * expected + load + 64:
            failures.append(f"N={n}: sends {everything}, not between 2Ψw(N-1)/N and 3Ψw(N-1)/N")
        return
    for kind, purpose in (("reduce_scatter", "gradient shard"), ("all_gather", "ZeRO-1 weights")):
        payload, sent = total(kind, purpose)
        print(f"N={n}: {kind} ({purpose}): Ψw {payload}, sent/rank {sent}; textbook Ψw(N-1)/N = {expected}")
        if payload != psi_w or sent != expected:
            failures.append(f"N={n}: {kind} moves {payload} (sent {sent}), textbook Ψw = {psi_w} (sent {expected})")
    reduced = sum(r[5] for r in rows if r[0] == "all_reduce")
    if reduced > load + 64:
        failures.append(f"N={n}: all_reduces move {reduced} bytes, more than the expert load and scalars")
    sent = sum(r[6] for r in rows)
    print(f"N={n}: total sent/rank {sent}; data parallelism's 2Ψw(N-1)/N = {2 * expected}")


def main():
    args = sys.argv[1:]
    zero = 0
    if args[0].startswith("--zero="):
        zero = int(args[0].split("=", 1)[1])
        args = args[1:]
    psi, nparams, nbalanced, load = textbook_psi(args[0])
    print(f"textbook: {nparams} parameters ({nbalanced} balanced by load), Ψ = {psi} bytes")
    failures = []
    pairs = args[1:]
    for table, n in zip(pairs[0::2], pairs[1::2]):
        n = int(n)
        rows = table_rows(table)
        if not rows:
            failures.append(f"{table}: no rows")
        elif zero:
            check_zero(rows, n, psi - load, load, failures, zero)
        else:
            check_dp(rows, n, psi, failures)
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
