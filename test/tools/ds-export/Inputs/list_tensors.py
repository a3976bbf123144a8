#!/usr/bin/env python3
"""Prints the tensor names of a safetensors file, one per line, sorted."""
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    (length,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(length))
print("\n".join(sorted(name for name in header if name != "__metadata__")))
