"""Every op of the ds dialect has a round-trip test and an invalid-IR test.

The op list comes from the generated spec (docs/dialect/ds.md, itself checked
against the .td files by test/docs/dialect-doc.test). An op counts as covered
by a round-trip test when `ds.<op>` appears in a test file under
test/dialects/ds/ops/ whose name does not end in `_invalid.mlir`, and by an
invalid-IR test when it appears in an expected-error of an `_invalid.mlir`
file.

usage: op_coverage.py DS_SRC_ROOT
"""
import glob
import os
import re
import sys

root = sys.argv[1]
spec = open(os.path.join(root, "docs/dialect/ds.md")).read()
ops = sorted(set(re.findall(r"^### `(ds\.\w+)`", spec, re.M)))

round_trip, invalid = set(), set()
for path in glob.glob(os.path.join(root, "test/dialects/ds/ops/*.mlir")):
    text = open(path).read()
    if path.endswith("_invalid.mlir"):
        for line in text.splitlines():
            if "expected-error" in line:
                invalid.update(re.findall(r"'(ds\.\w+)' op", line))
    else:
        round_trip.update(re.findall(r"\b(ds\.\w+)\b", text))

missing = [(op, kind) for op in ops
           for kind, seen in (("round-trip", round_trip), ("invalid-IR", invalid))
           if op not in seen]
print(f"{len(ops)} ops")
for op, kind in missing:
    print(f"missing {kind} test: {op}")
sys.exit(1 if missing else 0)
