#!/usr/bin/env python3
"""Writes `x`, an F32 [4, 8] tensor of pseudo-random values in [-1, 1), to
a safetensors file. Usage: write_inputs.py OUT"""
import json
import random
import struct
import sys

rng = random.Random(11)
values = [rng.uniform(-1.0, 1.0) for _ in range(32)]
body = struct.pack("<32f", *values)
header = json.dumps({"x": {"dtype": "F32", "shape": [4, 8],
                           "data_offsets": [0, len(body)]}}).encode()
header += b" " * (-len(header) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + body)
