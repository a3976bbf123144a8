#!/usr/bin/env python3
"""Writes a safetensors file from tensors given on the command line.

Usage: write_tensors.py OUT NAME=DTYPE:SHAPE:VALUES...
  DTYPE  F32, F64, I32 or I64
  SHAPE  dimensions joined by 'x' ("2x3"), empty for a scalar
  VALUES comma-separated, row-major
Example: write_tensors.py in.safetensors a=F32:4:1,2,3,4 step=I64::0
"""
import json
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I32": "i", "I64": "q"}

header, body = {}, b""
for spec in sys.argv[2:]:
    name, rest = spec.split("=", 1)
    dtype, shape, values = rest.split(":")
    dims = [int(d) for d in shape.split("x")] if shape else []
    kind = FORMATS[dtype]
    numbers = [float(v) if kind in "fd" else int(v) for v in values.split(",") if v]
    data = struct.pack("<%d%s" % (len(numbers), kind), *numbers)
    header[name] = {"dtype": dtype, "shape": dims,
                    "data_offsets": [len(body), len(body) + len(data)]}
    body += data
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + body)
