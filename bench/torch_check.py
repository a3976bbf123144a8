#!/usr/bin/env python3
"""Checks bench/torch_models.py against the JAX reference, and times the ways
of compiling its training step.

    .bench-venv/bin/python bench/torch_check.py --check
        torch vs JAX (f32): logits, loss, gradients, routing; the first step
        against the formula; three torch steps against three JAX steps; the
        JAX capacity-dispatch MoE against make_golden's; PASS/FAIL (exit 1)
    .bench-venv/bin/python bench/torch_check.py --try-compile [tiny-dense|tiny-moe]
        [--strategy S]... [--mode M]... [--optimizer-impl I]...
        eager against each way of compiling the step: median ms, compile time
"""

import argparse
import math
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import common  # noqa: E402  (after the path set-up)
from torch_models import (  # noqa: E402  (the models and step under test)
    ADAMW, COMPILE_STRATEGIES, GOLDEN_DIR, MOE_IMPLS, NO_GRAD_SUFFIXES,
    CompileError, cross_entropy, dsv3_forward, expert_load, gpt2_forward,
    make_step, resolve_forward, stack_experts, to_torch_weights,
    unstack_experts)

# --------------------------------------------------------------------------
# --check: torch vs JAX
# --------------------------------------------------------------------------

TOL = 1e-4


def _rel(a, b):
    """max |a - b| / max |b| (relative to the reference's scale)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def _import_golden():
    if GOLDEN_DIR not in sys.path:
        sys.path.insert(0, GOLDEN_DIR)
    import make_golden as mg
    return mg


def _check_model(mg, name, cfg, wm, jax_forward, torch_forward, B, T, grad_names, rng):
    import jax
    import jax.numpy as jnp

    tokens, targets = mg.make_tokens_targets(rng, B, T, cfg["vocab_size"])
    Wj = mg.upcast(wm.w, np.float32)

    def jloss(W):
        logits, routing = jax_forward(cfg, W, jnp.asarray(tokens))
        return mg.cross_entropy(logits, jnp.asarray(targets)), (logits, routing)

    (jl, (jlogits, jrouting)), jgrad = jax.value_and_grad(jloss, has_aux=True)(Wj)
    jl, jlogits = np.asarray(jl), np.asarray(jlogits)

    ok = True
    lines = []
    variants = [("sdpa", "loop"), ("math", "loop")]
    if torch_forward is dsv3_forward:
        variants.append(("sdpa", "grouped_mm"))
    for impl, moe_impl in variants:
        W = to_torch_weights(stack_experts(cfg, wm.w) if moe_impl == "grouped_mm" else wm.w)
        for k, v in W.items():
            if not k.endswith(NO_GRAD_SUFFIXES):
                v.requires_grad_(True)
        logits, routing = torch_forward(cfg, W, torch.from_numpy(tokens).long(),
                                        attn_impl=impl)
        loss = cross_entropy(logits, torch.from_numpy(targets))
        loss.backward()
        r_logits = _rel(logits.detach().numpy(), jlogits)
        r_loss = _rel(loss.detach().numpy(), jl)
        worst_grad, worst_name = 0.0, None
        grads = unstack_experts({k: v.grad.numpy() for k, v in W.items() if v.grad is not None})
        for k, g in grads.items():
            r = _rel(g, np.asarray(jgrad[k]))
            if r > worst_grad:
                worst_grad, worst_name = r, k
        routed_same = True
        for layer, jr in jrouting.items():
            if not (np.array_equal(np.asarray(jr["experts"]), routing[layer]["experts"].numpy())
                    and np.array_equal(np.asarray(jr["groups"]),
                                       routing[layer]["groups"].numpy())):
                routed_same = False
        good = max(r_logits, r_loss, worst_grad) <= TOL and routed_same
        ok &= good
        tag = f"attn={impl:4s}" + ("" if moe_impl == "loop" else f" experts={moe_impl}")
        lines.append(f"  {tag}  logits {r_logits:.2e}  loss {r_loss:.2e} "
                     f"(jax {float(jl):.7f}, torch {float(loss.detach()):.7f})  "
                     f"grad(all {len(grads)} tensors) "
                     f"{worst_grad:.2e} [{worst_name}]"
                     + ("" if not jrouting else f"  routing {'same' if routed_same else 'DIFFERS'}")
                     + ("" if good else "  <-- FAIL"))
        if impl == "sdpa" and moe_impl == "loop":
            for k in grad_names:
                lines.append(f"      grad {k:52s} {_rel(W[k].grad.numpy(), np.asarray(jgrad[k])):.2e}")
    margin = ""
    if jrouting:
        mm = min(min(float(np.min(r["expert_margin"])), float(np.min(r["group_margin"])))
                 for r in jrouting.values())
        margin = f", min routing margin (jax f32) {mm:.2e}"
    print(f"{name}: B={B} T={T}, seed 1 weights{margin}")
    for line in lines:
        print(line)
    return ok


def _check_step(mg):
    """make_step runs DS's step: its first update equals the by-hand formula
    (clipping, AdamW at t = 1, decay groups, the MoE bias update), loss goes
    down, and three steps of PyTorch eager equal three of bench/jax_models.py's
    JAX step (losses, every parameter)."""
    import jax_models

    ok = True
    for name, kind, cfg, w, seed in (
            ("tiny-dense", "gpt2", mg.GPT2_CFG, mg.gpt2_weights(mg.GPT2_CFG, 1).w, 5),
            ("tiny-moe", "dsv3", mg.DSV3_CFG, mg.dsv3_weights(mg.DSV3_CFG, 1).w, 6)):
        tokens, targets = mg.make_tokens_targets(np.random.default_rng(seed), 2, 32,
                                                 cfg["vocab_size"])
        step = make_step(kind, cfg, w)
        # the first step by hand, in f64, from the forward's gradients
        W0 = to_torch_weights(w)
        for k, v in W0.items():
            if not k.endswith(NO_GRAD_SUFFIXES):
                v.requires_grad_(True)
        logits, routing = resolve_forward(kind)(cfg, W0, torch.from_numpy(tokens).long())
        loss0 = cross_entropy(logits, torch.from_numpy(targets))
        loss0.backward()
        l0 = float(loss0.detach())
        grads = {k: v.grad.double() for k, v in W0.items() if v.grad is not None}
        norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
        clip = min(1.0, common.CLIP_NORM / (norm + common.CLIP_EPS))
        lr, wd, eps = ADAMW["lr"], ADAMW["weight_decay"], ADAMW["eps"]
        want = {}
        for k, g in grads.items():
            p0, g = W0[k].detach().double(), g * clip
            want[k] = p0 * (1 - lr * wd if common.decays(k) else 1.0) - lr * g / (g.abs() + eps)
        loads = expert_load(routing, cfg.get("n_routed_experts")) if routing else []
        for i, load in zip(sorted(routing), loads):
            k = f"model.layers.{i}.mlp.gate.{common.BALANCED_SUFFIX}"
            want[k] = W0[k].double() + common.BIAS_UPDATE_SPEED * torch.sign(
                load.mean() - load).double()
        losses = [float(step(tokens, targets))]
        upd = 0.0
        for k, p1 in want.items():
            # allowed: 1e-4 of the step size, plus f32 rounding of the parameter
            allowed = TOL * lr + 2 * np.finfo(np.float32).eps * p1.abs()
            upd = max(upd, float(((step.params[k].detach().double() - p1).abs()
                                  / allowed).max()))
        losses += [float(step(tokens, targets)) for _ in range(2)]
        good = (abs(losses[0] - l0) <= TOL * abs(l0) and losses[2] < losses[0] and upd <= 1
                and len(want) == len(w))
        # the JAX step, three steps from the same weights
        state = jax_models.init_state(kind, cfg, w)
        jstep = jax_models.make_train_step(kind, cfg)
        jlosses = []
        for _ in range(3):
            state, jl = jstep(state, tokens, targets)
            jlosses.append(float(jl))
        jw = jax_models.to_hf(state[1], state[2])
        dloss = max(abs(a - b) / abs(b) for a, b in zip(losses, jlosses))
        off, off_name, largest = common.agreement(step.hf_params(), jw, lr)
        jgood = dloss <= TOL and off <= common.AGREEMENT_TOLERANCE
        if kind == "dsv3":   # and the grouped_mm experts, three steps too
            gstep = make_step(kind, cfg, w, moe_impl="grouped_mm")
            glosses = [float(gstep(tokens, targets)) for _ in range(3)]
            gdloss = max(abs(a - b) / abs(b) for a, b in zip(glosses, jlosses))
            goff, goff_name, glargest = common.agreement(gstep.hf_params(), jw, lr)
            ggood = gdloss <= TOL and goff <= common.AGREEMENT_TOLERANCE
            ok &= ggood
            extra = (f"  3 steps, PyTorch experts=grouped_mm vs JAX: losses {gdloss:.1e}; "
                     f"parameters: worst tensor has {goff:.2%} of elements off by > 0.01 lr "
                     f"[{goff_name}], max {glargest:.2f} lr" + ("" if ggood else "  <-- FAIL"))
        else:
            extra = None
        ok &= good and jgood
        print(f"make_step {name}: first update vs by-hand (f64, clip {clip:.3f}, "
              f"{sum(common.decays(k) for k in grads)}/{len(grads)} decayed"
              f"{', %d biases balanced' % len(loads) if len(loads) else ''}): max |diff| / "
              f"(1e-4 lr + 2 ulp(p)) = {upd:.2f}; losses "
              f"{', '.join(f'{x:.5f}' for x in losses)} (forward {l0:.5f})"
              + ("" if good else "  <-- FAIL"))
        print(f"  3 steps, PyTorch vs JAX (jax_models): losses {dloss:.1e} (relative); "
              f"parameters: worst tensor has {off:.2%} of elements off by > 0.01 lr "
              f"[{off_name}], max {largest:.2f} lr" + ("" if jgood else "  <-- FAIL"))
        if extra:
            print(extra)
    return ok


def check():
    torch.set_num_threads(1)
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    mg = _import_golden()
    print(f"torch {torch.__version__}, jax {mg.jax.__version__}, numpy {np.__version__}; "
          f"tolerance {TOL:g} (max |torch - jax| / max |jax|, f32)")
    rng = np.random.default_rng(1234)
    ok = _check_model(mg, "tiny-dense (gpt2)", mg.GPT2_CFG, mg.gpt2_weights(mg.GPT2_CFG, 1),
                      mg.gpt2_forward, gpt2_forward, mg.GPT2_B, mg.GPT2_T,
                      ["transformer.wte.weight", "transformer.h.0.attn.c_attn.weight",
                       "transformer.h.3.mlp.c_fc.bias", "transformer.ln_f.weight"], rng)
    ok &= _check_model(mg, "tiny-moe (deepseek_v3)", mg.DSV3_CFG,
                       mg.dsv3_weights(mg.DSV3_CFG, 1), mg.dsv3_forward, dsv3_forward,
                       mg.DSV3_B, mg.DSV3_T,
                       ["model.embed_tokens.weight",
                        "model.layers.0.self_attn.q_b_proj.weight",
                        "model.layers.1.self_attn.kv_a_proj_with_mqa.weight",
                        "model.layers.2.mlp.gate.weight",
                        "model.layers.2.mlp.experts.5.down_proj.weight",
                        "model.layers.3.mlp.shared_experts.up_proj.weight",
                        "lm_head.weight"], rng)
    ok &= _check_step(mg)
    import jax_models
    ok &= jax_models.check(TOL)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def try_compile(model, strategies, modes, optimizer_impls, steps, warmup, moe_impls=("loop",)):
    """Times PyTorch eager against each compile strategy x mode (and each
    AdamW and experts implementation): median ms of `steps` steps after
    `warmup`."""
    mg = _import_golden()
    if model == "tiny-dense":
        kind, cfg, w = "gpt2", mg.GPT2_CFG, mg.gpt2_weights(mg.GPT2_CFG, 1).w
    else:
        kind, cfg, w = "dsv3", mg.DSV3_CFG, mg.dsv3_weights(mg.DSV3_CFG, 1).w
    tokens, targets = mg.make_tokens_targets(np.random.default_rng(7), 2, 32, cfg["vocab_size"])
    print(f"{model}: torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"median (min-max) ms of {steps} steps after {warmup}")
    combos = [(impl, moe) for moe in (moe_impls if kind == "dsv3" else ["loop"])
              for impl in optimizer_impls]
    for impl, moe_impl in combos:
        for strategy in ["eager"] + list(strategies):
            for mode in ([None] if strategy == "eager" else modes):
                import torch._dynamo as dynamo
                dynamo.reset()
                dynamo.config.compiled_autograd = False
                kwargs = {} if mode in (None, "default") else {"mode": mode}
                step = make_step(kind, cfg, w, optimizer_impl=impl, moe_impl=moe_impl,
                                 compile=False if strategy == "eager" else strategy,
                                 compile_kwargs=kwargs)
                tag = f"{impl:7s} {moe_impl:10s} {strategy:17s} {mode or '':26s}"
                try:
                    losses = [float(step(tokens, targets)) for _ in range(warmup)]
                except CompileError as error:
                    print(f"  {tag} {error}")
                    continue
                times = []
                for _ in range(steps):
                    start = time.perf_counter()
                    step(tokens, targets).item()
                    times.append((time.perf_counter() - start) * 1000)
                med, lo, hi = common.stats(times)
                first = f"  first step {step.compile_seconds:.1f} s" if step.compiled else ""
                print(f"  {tag} {med:8.2f} ({lo:.2f}-{hi:.2f}) ms{first}  losses "
                      f"{losses[0]:.5f} .. {losses[-1]:.5f}", flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="torch vs JAX, PASS/FAIL")
    parser.add_argument("--try-compile", metavar="MODEL", nargs="?", const="tiny-dense",
                        choices=["tiny-dense", "tiny-moe"])
    parser.add_argument("--strategy", action="append", choices=COMPILE_STRATEGIES,
                        help="with --try-compile (default: all)")
    parser.add_argument("--mode", action="append",
                        help="torch.compile mode with --try-compile (default: default and "
                             "max-autotune-no-cudagraphs)")
    parser.add_argument("--optimizer-impl", action="append", choices=["foreach", "fused"],
                        help="with --try-compile (default: foreach)")
    parser.add_argument("--moe-impl", action="append", choices=MOE_IMPLS,
                        help="tiny-moe's experts with --try-compile (default: loop)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch.set_num_threads (default: PyTorch's own choice)")
    args = parser.parse_args()
    if args.check:
        return check()
    if args.try_compile:
        if args.threads:
            torch.set_num_threads(args.threads)
        return try_compile(args.try_compile, args.strategy or COMPILE_STRATEGIES,
                           args.mode or ["default", "max-autotune-no-cudagraphs"],
                           args.optimizer_impl or ["foreach"], args.steps, args.warmup,
                           args.moe_impl or ["loop"])
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
