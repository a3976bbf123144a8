"""Every op with a VJP has a finite-difference check.

The ops come from `ds-gradcheck --list-vjp-ops` (the registered ds ops that
implement VjpOpInterface); an op is covered when `ds.<op>` appears in a
function of a test file in this directory that runs ds-gradcheck.

usage: vjp_coverage.py OPS_FILE TEST_DIR
"""
import glob
import os
import re
import sys

ops = sorted(line.strip() for line in open(sys.argv[1]) if line.strip())
covered = set()
for path in glob.glob(os.path.join(sys.argv[2], "*.mlir")):
    text = open(path).read()
    if "ds-gradcheck" in text:
        covered.update(re.findall(r"\b(ds\.\w+)\b", text))
print(f"{len(ops)} ops with a VJP")
missing = [op for op in ops if op not in covered]
for op in missing:
    print(f"missing finite-difference check: {op}")
sys.exit(1 if missing or not ops else 0)
