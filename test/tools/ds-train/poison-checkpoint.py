#!/usr/bin/env python3
"""Sets the first value of one f32 tensor in a checkpoint to +inf and
rewrites checkpoint.json's checksum, making a checkpoint that is intact on
disk but whose next training step cannot be finite (for the NaN test).

    poison-checkpoint.py STEP_DIR TENSOR_NAME
"""
import json
import os
import struct
import sys


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(step_dir, name):
    path = os.path.join(step_dir, "state.safetensors")
    data = bytearray(open(path, "rb").read())
    header_len = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + header_len])
    entry = header[name]
    assert entry["dtype"] == "F32", entry
    offset = 8 + header_len + entry["data_offsets"][0]
    data[offset:offset + 4] = struct.pack("<f", float("inf"))
    open(path, "wb").write(data)
    info_path = os.path.join(step_dir, "checkpoint.json")
    info = json.load(open(info_path))
    info["files"]["state.safetensors"]["fnv1a64"] = "%016x" % fnv1a64(data)
    json.dump(info, open(info_path, "w"), indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:])
