"""Reads the ds.fusion report of every function in a module --ds-fuse ran
on (stdin) and checks that fusion removed kernels and traffic from each
function that had generated kernels, and never added any; prints a table."""
import re
import sys

FIELDS = ("kernels_before", "kernels_after", "bytes_before", "bytes_after",
          "library_calls", "library_bytes")

text = sys.stdin.read()
reports = re.findall(r"func\.func @(\w+)\(.*?ds\.fusion = \{([^}]*)\}", text)
if not reports:
    sys.exit("no ds.fusion report found")
failed = False
for name, body in reports:
    values = dict((key, int(value)) for key, value in
                  re.findall(r"(\w+) = (-?\d+) : i64", body))
    missing = [field for field in FIELDS if field not in values]
    if missing:
        sys.exit("@%s: ds.fusion lacks %s" % (name, ", ".join(missing)))
    fewer = (values["kernels_after"] < values["kernels_before"] and
             values["bytes_after"] < values["bytes_before"])
    status = "ok" if fewer else "FAILED"
    failed |= not fewer
    print("@%s: kernels %d -> %d, bytes %d -> %d (%.0f %%) %s" % (
        name, values["kernels_before"], values["kernels_after"],
        values["bytes_before"], values["bytes_after"],
        100.0 * values["bytes_after"] / values["bytes_before"], status))
sys.exit(1 if failed else 0)
