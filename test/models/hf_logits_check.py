#!/usr/bin/env python3
"""Loads a checkpoint directory with Hugging Face transformers and checks that
its logits on the given tokens equal DS's.

Usage: hf_logits_check.py CHECKPOINT_DIR INPUTS.safetensors DS_OUT.safetensors
           [--rtol=1e-5]

CHECKPOINT_DIR is what ds-export wrote (config.json + model*.safetensors);
INPUTS holds `tokens` (I32 [B, T]); DS_OUT holds DS's `logits` for them
(ds-run --entry=forward --output). transformers runs the model in f32 with
eager attention. Prints the relative L2 error and exits 1 above --rtol.
Needs torch, transformers and safetensors (bench/setup-reference.sh).
"""
import argparse
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("inputs")
    parser.add_argument("ds_output")
    parser.add_argument("--rtol", type=float, default=1e-5)
    args = parser.parse_args()
    model = AutoModelForCausalLM.from_pretrained(
        args.checkpoint, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    tokens = torch.from_numpy(load_file(args.inputs)["tokens"].astype(np.int64))
    with torch.no_grad():
        theirs = model(tokens).logits.double().numpy()
    ours = load_file(args.ds_output)["logits"].astype(np.float64)
    error = np.linalg.norm(theirs - ours) / np.linalg.norm(theirs)
    ok = error <= args.rtol
    print("transformers %s: logits relative error %.3e %s" % (
        type(model).__name__, error, "ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
