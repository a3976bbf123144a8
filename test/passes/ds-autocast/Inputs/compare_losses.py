"""Compares the `step N: loss X` lines of two ds-run outputs (files given
as arguments): every step's loss within a relative tolerance (third
argument). Prints one line per step and exits 1 on a mismatch."""
import re
import sys

def losses(path):
    with open(path) as f:
        return [float(m.group(1)) for m in re.finditer(r"step \d+: loss (\S+)", f.read())]

reference, other, tolerance = losses(sys.argv[1]), losses(sys.argv[2]), float(sys.argv[3])
if not reference or len(reference) != len(other):
    sys.exit("expected the same number of steps, got %d and %d" % (len(reference), len(other)))
worst = 0.0
for step, (a, b) in enumerate(zip(reference, other), 1):
    worst = max(worst, abs(a - b) / abs(a))
print("%d steps, losses %.4f -> %.4f and %.4f -> %.4f, worst relative difference %.1e %s" % (
    len(reference), reference[0], reference[-1], other[0], other[-1], worst,
    "ok" if worst <= tolerance else "FAILED"))
sys.exit(0 if worst <= tolerance else 1)
