#!/usr/bin/env python3
"""Writes damaged copies of a safetensors checkpoint for the bad-weights tests.

Usage: corrupt_weights.py SOURCE.safetensors OUTDIR

Standard library only. Each output differs from SOURCE in exactly one way:
  missing.safetensors      one expert tensor left out
  wrong-shape.safetensors  model.norm.weight stored as [2, 128] instead of [256]
  wrong-dtype.safetensors  model.norm.weight stored as I16 (same bytes)
  truncated.safetensors    the last 1000 bytes cut off
  bad-header.safetensors   the JSON header is not JSON
  huge-header.safetensors  the header length field exceeds the file size
  overlap.safetensors      two tensors claim the same bytes
  fp8-blocks.safetensors   model.norm.weight has a weight_scale_inv beside it,
                           as in DeepSeek-V3's fp8 release
"""
import json
import os
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    return header, data[8 + length :]


def write(path, header, body):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)


def rebuild(header, body, drop=(), edits=None):
    """Re-packs the tensors, leaving out `drop` and applying `edits`."""
    edits = edits or {}
    out_header, chunks, offset = {}, [], 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1].get("data_offsets", [0])[0] if kv[0] != "__metadata__" else -1):
        if name == "__metadata__":
            out_header[name] = entry
            continue
        if name in drop:
            continue
        begin, end = entry["data_offsets"]
        chunk = body[begin:end]
        entry = dict(entry, **edits.get(name, {}))
        entry["data_offsets"] = [offset, offset + len(chunk)]
        out_header[name] = entry
        chunks.append(chunk)
        offset += len(chunk)
    return out_header, b"".join(chunks)


def main():
    source, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    header, body = read(source)
    out = lambda name: os.path.join(outdir, name)

    write(out("missing.safetensors"),
          *rebuild(header, body, drop={"model.layers.2.mlp.experts.7.up_proj.weight"}))
    write(out("wrong-shape.safetensors"),
          *rebuild(header, body, edits={"model.norm.weight": {"shape": [2, 128]}}))
    write(out("wrong-dtype.safetensors"),
          *rebuild(header, body, edits={"model.norm.weight": {"dtype": "I16"}}))

    with open(source, "rb") as f:
        whole = f.read()
    with open(out("truncated.safetensors"), "wb") as f:
        f.write(whole[:-1000])

    text = b'{"model.norm.weight": {"dtype": "BF16", "shape": [256], "data_offsets": [0, 512]'
    text += b" " * (-len(text) % 8)
    with open(out("bad-header.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(512))

    with open(out("huge-header.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 1 << 20) + b"{}")

    h, b = rebuild(header, body)
    names = [n for n in h if n != "__metadata__"]
    h[names[1]]["data_offsets"] = list(h[names[0]]["data_offsets"])
    h[names[1]]["shape"] = list(h[names[0]]["shape"])
    h[names[1]]["dtype"] = h[names[0]]["dtype"]
    write(out("overlap.safetensors"), h, b)

    h, b = rebuild(header, body)
    h["model.norm.weight_scale_inv"] = {"dtype": "F32", "shape": [1],
                                        "data_offsets": [len(b), len(b) + 4]}
    write(out("fp8-blocks.safetensors"), h, b + struct.pack("<f", 1.0))


if __name__ == "__main__":
    main()
