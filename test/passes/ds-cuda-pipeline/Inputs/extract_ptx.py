"""Writes the PTX of every gpu.binary in a module (stdin; gpu-module-to-binary
with format=isa) to OUTDIR/<binary>.ptx and prints how many it wrote.

The PTX is the binary's `assembly = "..."` string, printed with MLIR's
escapes (a backslash and two hex digits for each byte outside printable
ASCII, and for the quote and the backslash)."""
import os
import re
import sys

outdir = sys.argv[1]
os.makedirs(outdir, exist_ok=True)
text = sys.stdin.read()
count = 0
for match in re.finditer(r'gpu\.binary @(\w+)\s*\[#gpu\.object<.*?assembly = "((?:[^"\\]|\\[0-9A-Fa-f]{2})*)"',
                         text):
    name, escaped = match.group(1), match.group(2)
    ptx = re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), escaped)
    with open(os.path.join(outdir, name + ".ptx"), "w") as f:
        f.write(ptx)
    count += 1
if count == 0:
    sys.exit("no gpu.binary with PTX (format=isa) in the input")
print("%d kernels" % count)
