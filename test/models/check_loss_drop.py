"""Reads `ds-interp --steps=N` output and checks the loss fell to at most
RATIO times its first value.  usage: check_loss_drop.py RATIO < output"""
import re
import sys

losses = [float(m.group(1)) for m in
          (re.match(r"step \d+: loss (\S+)", line) for line in sys.stdin) if m]
if not losses:
    sys.exit("no 'step N: loss X' lines")
ratio = losses[-1] / losses[0]
limit = float(sys.argv[1])
print(f"{len(losses)} steps: loss {losses[0]:.4f} -> {losses[-1]:.4f} "
      f"(ratio {ratio:.3f}, limit {limit})")
sys.exit(0 if ratio <= limit else 1)
