#!/usr/bin/env python3
"""Generation speed: one decoding step with a KV cache, DS against PyTorch,
and what the cache saves over recomputing the window, in one run.

For each model (f32, the model's batch B and sequence length T, the cache
full to position T - 1, the most work a step does):

  DS decode      @decode (ds-compile --entry=decode,prefill,forward): B new
                 tokens against the cache; for MLA the cache holds the
                 compressed latent and the rotary key, with kv_b_proj absorbed
  DS prefill     @prefill: B x T tokens into empty caches in one call
  DS forward     @forward over B x T tokens: what each new token costs
                 without a cache
  PyTorch decode bench/torch_models.py's model (checked against JAX there)
                 with a Hugging Face-style cache (per-head keys and values,
                 decompressed for MLA), under torch.inference_mode; checked
                 here against the same model's forward
  PyTorch fwd    the same model's forward over B x T tokens

DS is timed by `ds-run --repeat` (one warm-up run, then the mean of N),
PyTorch by the mean of N steps after one. Both use all cores. Prints one
table: ms per call and tokens per second; "DS/PyTorch" is the ratio of DS's
decoding throughput to PyTorch's, "cache gain" DS forward / DS decode.

    bench/setup-reference.sh                      # once: .bench-venv
    .bench-venv/bin/python bench/decode.py [--build build] [--repeat 50] [models...]
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from train_step import MODELS, mg  # noqa: E402  (after the path set-up)


def ds_times(build, model, repeat, workdir):
    """ms per call of @decode (cache full), @prefill and @forward in DS."""
    tools = os.path.join(build, "bin")
    config, cfg, _, _, B, T = MODELS[model]
    artifact = os.path.join(workdir, model)
    subprocess.run([os.path.join(tools, "ds-compile"),
                    os.path.join(ROOT, "models", config),
                    "--entry=decode,prefill,forward", "--quiet", "-o", artifact],
                   check=True)
    with open(os.path.join(artifact, "manifest.json")) as f:
        manifest = json.load(f)
    entry = next(e for e in manifest["entries"] if e["name"] == "decode")
    rng = np.random.default_rng(1)
    vocab = cfg["vocab_size"]
    inputs = {}
    for argument in entry["arguments"]:
        if argument["role"] == "param" or argument["name"].startswith("cache."):
            inputs[argument["name"]] = (rng.standard_normal(argument["shape"]) *
                                        0.02).astype(np.float32)
    path = os.path.join(workdir, model + "-weights.safetensors")
    mg.write_safetensors(path, inputs)
    # One new token per sequence at T - 1; for @prefill and @forward, T.
    step_path = os.path.join(workdir, model + "-step.safetensors")
    mg.write_safetensors(step_path, {
        "tokens": rng.integers(0, vocab, (B, 1)).astype(np.int32),
        "position": np.array(T - 1, np.int32)})
    sequence_path = os.path.join(workdir, model + "-sequence.safetensors")
    mg.write_safetensors(sequence_path, {
        "tokens": rng.integers(0, vocab, (B, T)).astype(np.int32),
        "position": np.array(0, np.int32)})
    times = {}
    for name in ("decode", "prefill", "forward"):
        tokens = step_path if name == "decode" else sequence_path
        out = subprocess.run([os.path.join(tools, "ds-run"), artifact,
                              "--entry=" + name, "--inputs=" + path,
                              "--inputs=" + tokens, "--zero-missing",
                              "--repeat=%d" % repeat],
                             check=True, capture_output=True, text=True).stdout
        times[name] = float(re.search(r"mean ([0-9.]+) ms per run", out).group(1))
    return times


def torch_decoder(kind, cfg, W, B, Tc):
    """A decoding step of bench/torch_models.py's model with a Hugging
    Face-style KV cache: step(tokens [B, 1], position) -> logits [B, V]."""
    import torch
    import torch.nn.functional as F
    import torch_models as tm

    if kind == "gpt2":
        D, H, L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
        hd, eps = D // H, cfg["layer_norm_epsilon"]
        keys = torch.zeros(L, B, H, Tc, hd)
        values = torch.zeros(L, B, H, Tc, hd)

        def step(tokens, position):
            h = F.embedding(tokens, W["transformer.wte.weight"]) + \
                W["transformer.wpe.weight"][position]
            for i in range(L):
                p = f"transformer.h.{i}."
                x = tm.layer_norm(h, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
                qkv = torch.addmm(W[p + "attn.c_attn.bias"], x.reshape(B, D),
                                  W[p + "attn.c_attn.weight"])
                q, k, v = (t.reshape(B, H, 1, hd) for t in qkv.split(D, dim=-1))
                keys[i, :, :, position] = k[:, :, 0]
                values[i, :, :, position] = v[:, :, 0]
                a = F.scaled_dot_product_attention(
                    q, keys[i, :, :, :position + 1], values[i, :, :, :position + 1],
                    scale=1.0 / math.sqrt(hd))
                h = h + torch.addmm(W[p + "attn.c_proj.bias"], a.reshape(B, D),
                                    W[p + "attn.c_proj.weight"]).reshape(B, 1, D)
                x = tm.layer_norm(h, W[p + "ln_2.weight"], W[p + "ln_2.bias"],
                                  eps).reshape(B, D)
                m = tm.gelu_new(torch.addmm(W[p + "mlp.c_fc.bias"], x,
                                            W[p + "mlp.c_fc.weight"]))
                h = h + torch.addmm(W[p + "mlp.c_proj.bias"], m,
                                    W[p + "mlp.c_proj.weight"]).reshape(B, 1, D)
            h = tm.layer_norm(h, W["transformer.ln_f.weight"],
                              W["transformer.ln_f.bias"], eps)
            return F.linear(h, W["transformer.wte.weight"])[:, 0]
        return step

    L, H, eps = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["rms_norm_eps"]
    qhd = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    keys = torch.zeros(L, B, H, Tc, qhd)
    values = torch.zeros(L, B, H, Tc, cfg["v_head_dim"])
    cos, sin = tm.yarn_cos_sin(cfg, Tc, torch.float32)

    def step(tokens, position):
        h = F.embedding(tokens, W["model.embed_tokens.weight"])
        at = slice(position, position + 1)
        for i in range(L):
            p = f"model.layers.{i}."
            x = tm.rms_norm(h, W[p + "input_layernorm.weight"], eps)
            q, k, v, scale = tm.dsv3_qkv(cfg, W, p + "self_attn.", x, cos[at], sin[at])
            keys[i, :, :, position] = k[:, :, 0]
            values[i, :, :, position] = v[:, :, 0]
            o = F.scaled_dot_product_attention(
                q, keys[i, :, :, :position + 1], values[i, :, :, :position + 1],
                scale=scale)
            h = h + tm.linear(o.transpose(1, 2).reshape(B, 1, -1),
                              W[p + "self_attn.o_proj.weight"])
            x = tm.rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
            m = p + "mlp."
            if tm.dsv3_is_moe_layer(cfg, i):
                y, _ = tm.dsv3_moe(cfg, W, m, x)
            else:
                y = tm.swiglu_mlp(x, W[m + "gate_proj.weight"], W[m + "up_proj.weight"],
                                  W[m + "down_proj.weight"])
            h = h + y
        h = tm.rms_norm(h, W["model.norm.weight"], eps)
        return tm.linear(h, W["lm_head.weight"])[:, 0]
    return step


def torch_times(model, repeat):
    """ms per decoding step (cache full to T - 1) and per forward in PyTorch,
    after checking that decoding gives the forward's logits."""
    import torch
    import torch_models as tm

    _, cfg, weights, kind, B, T = MODELS[model]
    W = tm.to_torch_weights(weights(cfg, 1).w)
    forward = tm.resolve_forward(kind)
    tokens = torch.from_numpy(
        np.random.default_rng(2).integers(0, cfg["vocab_size"], (B, T))).long()
    with torch.inference_mode():
        step = torch_decoder(kind, cfg, W, B, T)
        logits, _ = forward(cfg, W, tokens)
        for position in range(T):
            last = step(tokens[:, position:position + 1], position)
        error = float((last - logits[:, -1]).norm() / logits[:, -1].norm())
        if not error < 1e-4:
            raise RuntimeError("%s: PyTorch decoding differs from its forward "
                               "(relative error %.2e)" % (model, error))
        one = tokens[:, -1:]
        step(one, T - 1)
        start = time.perf_counter()
        for _ in range(repeat):
            step(one, T - 1)
        decode_ms = (time.perf_counter() - start) * 1000.0 / repeat
        forward(cfg, W, tokens)
        start = time.perf_counter()
        runs = max(3, repeat // 8)
        for _ in range(runs):
            forward(cfg, W, tokens)
        forward_ms = (time.perf_counter() - start) * 1000.0 / runs
    return decode_ms, forward_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.models:
            _, _, _, _, B, T = MODELS[model]
            ds = ds_times(args.build, model, args.repeat, workdir)
            try:
                torch_decode, torch_forward = torch_times(model, args.repeat)
            except ImportError as error:
                print("PyTorch unavailable: %s" % error, file=sys.stderr)
                torch_decode = torch_forward = float("nan")
            rows.append((model, B, T, ds, torch_decode, torch_forward))
    print("decoding, f32, %d threads, cache full (position T-1); ms per call "
          "(tokens/s)" % os.cpu_count())
    print("| model | B x T | DS decode | PyTorch decode | DS/PyTorch | DS prefill "
          "| DS forward | PyTorch forward | cache gain |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")

    def cell(ms, tokens):
        return "%.2f (%.0f)" % (ms, tokens / ms * 1000.0) if ms == ms else "-"

    for model, B, T, ds, torch_decode, torch_forward in rows:
        print("| %s | %d x %d | %s | %s | %s | %s | %.1f | %s | %.1f |" % (
            model, B, T, cell(ds["decode"], B), cell(torch_decode, B),
            "%.2f" % (torch_decode / ds["decode"]) if torch_decode == torch_decode else "-",
            cell(ds["prefill"], B * T), ds["forward"],
            "%.1f" % torch_forward if torch_forward == torch_forward else "-",
            ds["forward"] / ds["decode"]))


if __name__ == "__main__":
    main()
