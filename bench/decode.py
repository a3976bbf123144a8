#!/usr/bin/env python3
"""Generation speed: one decoding step with a KV cache, DS against PyTorch,
the same weights for both, and what the cache saves over recomputing the
window, in one run.

For each model (f32, the model's batch B and sequence length T from
models/<name>.textproto, the cache full to position T - 1, the most work a
step does):

  weights        `ds-model <config> --init-weights=W --seed=1` (Hugging Face
                 names; norms ones, biases zeros, matrices
                 N(0, initializer_range)), read by DS and PyTorch alike
  DS decode      @decode (ds-compile --entry=decode,prefill,forward): B new
                 tokens (the sequences' last) at position T - 1 against the
                 cache that @prefill filled from the same B x T tokens; for
                 MLA the cache holds the compressed latent and the rotary
                 key, with kv_b_proj absorbed
  DS prefill     @prefill: B x T tokens into empty caches in one call
  DS forward     @forward over B x T tokens: what each new token costs
                 without a cache
  PyTorch decode bench/torch_models.py's model (checked against JAX there)
                 with a Hugging Face-style cache (per-head keys and values,
                 decompressed for MLA), under torch.inference_mode, its cache
                 filled by decoding the T tokens one by one; checked against
                 the same model's forward. MoE experts as in train_step.py
                 (Transformers 5's default grouped_mm; --torch-moe loop)
  PyTorch fwd    the same model's forward over B x T tokens

DS's results are checked against PyTorch's: @prefill's logits against the
PyTorch forward's, @decode's against the PyTorch decoding step's.

Timing: DS by `ds-run --repeat` (one untimed run, then N timed runs; the
cache a run returns is the next run's), PyTorch by N calls each timed alone
after --warmup untimed ones. Medians with min–max, ms per call, tokens/s of
the median; "DS/PyTorch" = PyTorch's median decoding step / DS's, "cache
gain" = DS forward / DS decode. DS uses OpenMP (OMP_NUM_THREADS, else all
cores), PyTorch torch.get_num_threads() threads.

    bench/setup-reference.sh                      # once: .bench-venv
    .bench-venv/bin/python bench/decode.py [--build build] [--repeat 50] [--warmup 5]
        [--torch-moe grouped_mm|loop] [models...]
"""

import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import common  # noqa: E402  (after the path set-up)
from train_step import MODELS, TORCH_MOE  # noqa: E402


def ds_times(build, model, prep, tokens, repeat, forward_repeat, workdir):
    """DS: ({entry: (median, min, max) ms}, prefill logits [B, T, V],
    decode logits [B, V])."""
    ds_compile, ds_run = common.tool(build, "ds-compile"), common.tool(build, "ds-run")
    config = MODELS[model][0]
    artifact = os.path.join(workdir, model + "-decode")
    common.run([ds_compile, os.path.join(ROOT, "models", config),
                "--entry=decode,prefill,forward", "--quiet", "-o", artifact])
    B, T = tokens.shape
    sequence = os.path.join(workdir, model + "-sequence.safetensors")
    common.write_safetensors(sequence, {"tokens": tokens.astype(np.int32),
                                        "position": np.array(0, np.int32)})
    # One new token per sequence, the last, at T - 1 (its cache entries
    # rewritten with the same values).
    last = os.path.join(workdir, model + "-last.safetensors")
    common.write_safetensors(last, {"tokens": tokens[:, -1:].astype(np.int32),
                                    "position": np.array(T - 1, np.int32)})
    weights = "--inputs=" + prep["weights"]
    prefilled = os.path.join(workdir, model + "-prefilled.safetensors")
    common.run([ds_run, artifact, "--entry=prefill", weights, "--inputs=" + sequence,
                "--zero-missing", "--output=" + prefilled])
    decoded = os.path.join(workdir, model + "-decoded.safetensors")
    common.run([ds_run, artifact, "--entry=decode", weights, "--inputs=" + prefilled,
                "--inputs=" + last, "--output=" + decoded])
    times = {}
    for name, inputs, runs in (("decode", [prefilled, last], repeat),
                               ("prefill", [sequence], forward_repeat),
                               ("forward", [sequence], forward_repeat)):
        out = common.run([ds_run, artifact, "--entry=" + name, weights] +
                         ["--inputs=" + p for p in inputs] +
                         ["--zero-missing", "--repeat=%d" % runs])
        times[name] = common.parse_repeat(out)
    return (times, common.read_safetensors(prefilled)["logits"],
            common.read_safetensors(decoded)["logits"].reshape(B, -1))


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


def torch_times(kind, cfg, weights, tokens, repeat, forward_repeat, warmup, moe_impl):
    """PyTorch: ({"decode", "forward": (median, min, max) ms}, forward logits
    [B, T, V], decode logits [B, V]), after checking that decoding gives the
    forward's logits."""
    import torch
    import torch_models as tm

    B, T = tokens.shape
    if kind == "dsv3" and moe_impl == "grouped_mm":
        weights = tm.stack_experts(cfg, weights)
    W = tm.to_torch_weights(weights)
    forward = tm.resolve_forward(kind)
    tokens = torch.from_numpy(tokens).long()

    def timed(function, runs):
        for _ in range(warmup):
            function()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            function()
            times.append((time.perf_counter() - start) * 1000.0)
        return common.stats(times)

    with torch.inference_mode():
        step = torch_decoder(kind, cfg, W, B, T)
        logits, _ = forward(cfg, W, tokens)
        for position in range(T):
            last = step(tokens[:, position:position + 1], position)
        error = float((last - logits[:, -1]).norm() / logits[:, -1].norm())
        if not error < 1e-4:
            raise RuntimeError("PyTorch decoding differs from its forward "
                               "(relative error %.2e)" % error)
        one = tokens[:, -1:]
        times = {"decode": timed(lambda: step(one, T - 1), repeat),
                 "forward": timed(lambda: forward(cfg, W, tokens), forward_repeat)}
    return times, logits.numpy(), last.numpy(), torch.get_num_threads(), torch.__version__


def relative(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repeat", type=int, default=50,
                        help="timed decoding steps (>= 10); prefill and forward: a fifth, "
                             "at least 10")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed PyTorch calls before the timed ones")
    parser.add_argument("--torch-moe", default=TORCH_MOE, choices=["grouped_mm", "loop"],
                        help="PyTorch's MoE experts: Transformers 5's default grouped_mm, "
                             "or its eager loop over experts")
    parser.add_argument("models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    if args.repeat < 10:
        parser.error("--repeat must be at least 10")
    try:
        import torch  # noqa: F401
    except ImportError as error:
        sys.exit("error: PyTorch is missing (bench/setup-reference.sh): %s" % error)
    forward_repeat = max(10, args.repeat // 5)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for model in args.models:
            if model not in MODELS:
                parser.error("unknown model %r (one of %s)" % (model, ", ".join(MODELS)))
            prep = common.make_model(args.build, MODELS[model][0], workdir)
            B, T = prep["B"], prep["T"]
            tokens, _ = common.make_batch(prep["cfg"]["vocab_size"], B, T)
            ds, ds_prefill, ds_decode = ds_times(args.build, model, prep, tokens, args.repeat,
                                                 forward_repeat, workdir)
            pt, pt_forward, pt_decode, threads, version = torch_times(
                MODELS[model][1], prep["cfg"], common.read_safetensors(prep["weights"]),
                tokens, args.repeat, forward_repeat, args.warmup, args.torch_moe)
            rows.append((model, B, T, ds, pt, relative(ds_prefill, pt_forward),
                         relative(ds_decode, pt_decode)))
    print("Decoding, f32, the cache full (position T - 1); median (min–max) ms per call "
          "[tokens/s at the median]; %d timed decoding steps, %d prefill and forward calls"
          % (args.repeat, forward_repeat))
    print("CPU: %s" % common.cpu_name())
    print("Threads: DS %s; PyTorch %d (torch.get_num_threads(), torch %s); "
          "os.cpu_count() = %d" % (common.ds_threads(), threads, version, os.cpu_count()))
    print("PyTorch: eager, torch.inference_mode; tiny-moe's experts %s" % args.torch_moe)
    print()
    print("| model | B × T | DS decode | PyTorch decode | DS/PyTorch | DS prefill "
          "| DS forward | PyTorch forward | cache gain |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for model, B, T, ds, pt, _, _ in rows:
        print("| %s | %d × %d | %s | %s | %.2f | %s | %s | %s | %.1f |" % (
            model, B, T, common.cell(ds["decode"], B, 2), common.cell(pt["decode"], B, 2),
            pt["decode"][0] / ds["decode"][0], common.cell(ds["prefill"], B * T),
            common.cell(ds["forward"]), common.cell(pt["forward"]),
            ds["forward"][0] / ds["decode"][0]))
    print()
    print("Same weights, same tokens: DS's logits against PyTorch's (relative L2 error)")
    print()
    print("| model | DS prefill vs PyTorch forward | DS decode vs PyTorch decode |")
    print("|---|---:|---:|")
    bad = False
    for model, _, _, _, _, prefill_error, decode_error in rows:
        print("| %s | %.1e | %.1e |" % (model, prefill_error, decode_error))
        bad |= not (prefill_error < 1e-4 and decode_error < 1e-4)
    if bad:
        print("\nMISMATCH: DS's logits differ from PyTorch's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
