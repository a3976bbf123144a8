#!/usr/bin/env python3
"""Writes a safetensors file with random I32 `tokens` and `targets` [B, T]
in [0, VOCAB) from SEED. Usage: write_batch.py OUT B T VOCAB SEED"""
import json
import random
import struct
import sys

out, batch, seq, vocab, seed = sys.argv[1], *map(int, sys.argv[2:6])
rng = random.Random(seed)
tensors, body = {}, b""
for name in ("tokens", "targets"):
    values = [rng.randrange(vocab) for _ in range(batch * seq)]
    data = struct.pack("<%di" % len(values), *values)
    tensors[name] = {"dtype": "I32", "shape": [batch, seq],
                     "data_offsets": [len(body), len(body) + len(data)]}
    body += data
header = json.dumps(tensors).encode()
header += b" " * (-len(header) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + body)
