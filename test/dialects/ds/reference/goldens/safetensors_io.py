"""safetensors writer: 8-byte little-endian header length, JSON header (keys
sorted, padded with spaces to a multiple of 8), raw little-endian data laid
out in sorted-name order."""

import json
import struct

import numpy as np

from .common import BF16, BOOL, E4M3, E5M2, F16, F32, F64, I8, I16, I32, I64

# numpy dtype -> safetensors dtype name; also the set of dtypes a case may use.
ST_DTYPE = {
    np.dtype(F64): "F64", np.dtype(F32): "F32", np.dtype(F16): "F16",
    np.dtype(BF16): "BF16", np.dtype(E4M3): "F8_E4M3", np.dtype(E5M2): "F8_E5M2",
    np.dtype(I64): "I64", np.dtype(I32): "I32", np.dtype(I16): "I16",
    np.dtype(I8): "I8", np.dtype(BOOL): "BOOL",
}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.array(tensors[name], order="C", copy=True)  # keeps rank 0
        if arr.dtype not in ST_DTYPE:
            raise TypeError(f"{path}: {name}: unsupported dtype {arr.dtype}")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": ST_DTYPE[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
