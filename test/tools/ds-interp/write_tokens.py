#!/usr/bin/env python3
"""Writes a safetensors file with an I32 `tokens` tensor [B, T] of small
values, with VALUE at flat position 5. Usage: write_tokens.py OUT B T VALUE"""
import json
import struct
import sys

out, batch, seq, value = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tokens = [(7 * i + 3) % 100 for i in range(batch * seq)]
tokens[5] = value
body = struct.pack("<%di" % len(tokens), *tokens)
header = json.dumps({"tokens": {"dtype": "I32", "shape": [batch, seq],
                                "data_offsets": [0, len(body)]}}).encode()
header += b" " * (-len(header) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + body)
