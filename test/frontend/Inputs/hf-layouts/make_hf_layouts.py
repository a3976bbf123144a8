#!/usr/bin/env python3
"""Config-only importer inputs: one model per architecture in two layouts.

    v2-rope-parameters/config.json  DeepseekV2Config(...).save_pretrained
    v2-legacy/config.json           the same model in the pre-5.x layout
    v3-rope-parameters/config.json  DeepseekV3Config(...).save_pretrained
    v3-legacy/config.json           the same model in the pre-5.x layout

The *-rope-parameters files are what transformers 5.x writes: RoPE only as
"rope_parameters": {"rope_theta", "rope_type": "yarn", "factor", ...}, no
top-level rope_theta / rope_scaling, plus derived keys (head_dim =
qk_rope_head_dim, qk_head_dim = qk_nope_head_dim + qk_rope_head_dim, ...).
The *-legacy files are written from a dict here in the layout of
deepseek-ai's own config.json files (top-level rope_theta, rope_scaling with
"type": "yarn", scoring_func / topk_method / moe_layer_freq / ...).

The V3 model is the one of test/models/golden/tiny-v3-hf (sizes and RoPE
imported from make_hf_golden.py): v3-rope-parameters/config.json is
byte-for-byte the same JSON as tiny-v3-hf/config.json (the script checks
this when tiny-v3-hf exists).  Note that transformers' DeepseekV3 writes no
scoring_func / topk_method (it always uses sigmoid / noaux_tc); the legacy
file has them, as deepseek-ai's config.json does.

Checks (each run, before writing): transformers loads each legacy file into
the same rope_parameters and model fields as its 5.x twin, and a model built
from the legacy config with the 5.x model's weights gives bit-identical
logits.

Rerun from the repository root:

    .bench-venv/bin/python test/frontend/Inputs/hf-layouts/make_hf_layouts.py
"""

import copy
import json
import os
import sys
import tempfile

import torch
import transformers
from transformers import (DeepseekV2Config, DeepseekV2ForCausalLM, DeepseekV3Config,
                          DeepseekV3ForCausalLM)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "models", "golden"))
import make_hf_golden as v3g  # noqa: E402

# --------------------------------------------------------------------------
# DeepSeek-V2 (MLA without q LoRA, softmax / group_limited_greedy routing)
# --------------------------------------------------------------------------

V2_SIZES = dict(
    vocab_size=256,
    hidden_size=64,
    intermediate_size=128,
    moe_intermediate_size=32,
    num_hidden_layers=3,
    first_k_dense_replace=1,
    num_attention_heads=4,
    num_key_value_heads=4,
    q_lora_rank=None,
    kv_lora_rank=32,
    qk_nope_head_dim=32,
    qk_rope_head_dim=16,
    v_head_dim=24,
    n_routed_experts=8,
    n_shared_experts=2,
    num_experts_per_tok=2,
    n_group=4,
    topk_group=2,
    topk_method="group_limited_greedy",
    norm_topk_prob=False,
    routed_scaling_factor=16.0,
    max_position_embeddings=256,
    rms_norm_eps=1e-6,
    tie_word_embeddings=False,
    bos_token_id=0,
    eos_token_id=1,
)
# DeepSeek-V2's own values for mscale / mscale_all_dim (0.707 each); theta
# not the default.
V2_ROPE = {
    "rope_theta": 20000.0,
    "rope_type": "yarn",
    "factor": 4.0,
    "original_max_position_embeddings": 64,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "mscale": 0.707,
    "mscale_all_dim": 0.707,
}


def legacy(model_type, arch, sizes, rope, extra):
    d = {"architectures": [arch], "model_type": model_type}
    d.update({k: v for k, v in sizes.items() if k not in ("num_mtp_layers", "dtype")})
    d.update(extra)
    d["rope_theta"] = rope["rope_theta"]
    d["rope_scaling"] = {"type": rope["rope_type"]}
    d["rope_scaling"].update({k: v for k, v in rope.items() if k not in ("rope_theta", "rope_type")})
    d.update({"hidden_act": "silu", "attention_bias": False, "attention_dropout": 0.0,
              "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float32",
              "transformers_version": "4.46.3"})
    return dict(sorted(d.items()))


# No aux_loss_alpha / seq_aux here: DS imports them as V2's sequence-wise
# balance loss (a training term), and transformers 5's config has no such
# keys, so the two layouts would describe different training steps.
V2_LEGACY = legacy("deepseek_v2", "DeepseekV2ForCausalLM", V2_SIZES, V2_ROPE, {
    "scoring_func": "softmax",
    "moe_layer_freq": 1,
    "ep_size": 1,
})

V3_SIZES = dict(v3g.SIZES, bos_token_id=0, eos_token_id=1)
V3_LEGACY = legacy("deepseek_v3", "DeepseekV3ForCausalLM",
                   {("num_nextn_predict_layers" if k == "num_mtp_layers" else k): v
                    for k, v in V3_SIZES.items() if k != "dtype"}, v3g.ROPE_PARAMETERS, {
    "scoring_func": "sigmoid",
    "topk_method": "noaux_tc",
    "moe_layer_freq": 1,
    "aux_loss_alpha": 0.001,
    "seq_aux": True,
    "ep_size": 1,
})

# model fields compared between the two layouts after transformers loads them
FIELDS = sorted(set(V2_SIZES) | set(v3g.SIZES) | {"hidden_act", "rope_interleave", "attention_bias"}
                - {"num_mtp_layers", "dtype"})


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def check_same_model(cfg_cls, model_cls, new_dir, legacy_dir):
    a = cfg_cls.from_pretrained(new_dir)
    b = cfg_cls.from_pretrained(legacy_dir)
    rp_b = {k: v for k, v in b.rope_parameters.items() if k != "type"}
    if a.rope_parameters != rp_b:
        raise SystemExit(f"{legacy_dir}: rope_parameters {b.rope_parameters} != {a.rope_parameters}")
    for f in FIELDS:
        if hasattr(a, f):  # fields the 5.x config defines
            if getattr(a, f, None) != getattr(b, f, None):
                raise SystemExit(f"{legacy_dir}: {f} {getattr(b, f, None)} != {getattr(a, f, None)}")
    torch.manual_seed(0)
    ma = model_cls(a).eval()
    mb = model_cls(b).eval()
    for m in (ma, mb):
        m.set_attn_implementation("eager")
        m.set_experts_implementation("eager")
    mb.load_state_dict(ma.state_dict(), strict=True)
    tok = torch.randint(0, a.vocab_size, (2, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        la, lb = ma(input_ids=tok).logits, mb(input_ids=tok).logits
    if not torch.equal(la, lb):
        raise SystemExit(f"{legacy_dir}: logits differ from {new_dir}")
    return b.rope_parameters


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    transformers.utils.logging.disable_progress_bar()

    v2 = DeepseekV2Config(architectures=["DeepseekV2ForCausalLM"], scoring_func="softmax",
                          rope_parameters=copy.deepcopy(V2_ROPE), dtype="float32", **V2_SIZES)
    v3 = v3g.make_config(architectures=["DeepseekV3ForCausalLM"])
    out = {}
    for name, cfg in (("v2-rope-parameters", v2), ("v3-rope-parameters", v3)):
        with tempfile.TemporaryDirectory() as d:
            cfg.save_pretrained(d)
            with open(os.path.join(d, "config.json")) as f:
                text = f.read()
        path = os.path.join(HERE, name, "config.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        out[name] = json.loads(text)
    write_json(os.path.join(HERE, "v2-legacy", "config.json"), V2_LEGACY)
    write_json(os.path.join(HERE, "v3-legacy", "config.json"), V3_LEGACY)

    for tag, cfg_cls, model_cls in (("v2", DeepseekV2Config, DeepseekV2ForCausalLM),
                                    ("v3", DeepseekV3Config, DeepseekV3ForCausalLM)):
        rp = check_same_model(cfg_cls, model_cls, os.path.join(HERE, f"{tag}-rope-parameters"),
                              os.path.join(HERE, f"{tag}-legacy"))
        print(f"{tag}-legacy loads as rope_parameters {rp}")

    # the V3 pair describes the model of tiny-v3-hf
    golden = os.path.join(ROOT, "test", "models", "golden", "tiny-v3-hf", "config.json")
    if os.path.exists(golden):
        with open(golden) as f:
            g = json.load(f)
        if g != out["v3-rope-parameters"]:
            diff = sorted(k for k in set(g) | set(out["v3-rope-parameters"])
                          if g.get(k) != out["v3-rope-parameters"].get(k))
            raise SystemExit(f"v3-rope-parameters differs from tiny-v3-hf/config.json in {diff}")
        print("v3-rope-parameters/config.json == tiny-v3-hf/config.json")

    for name in ("v2-rope-parameters", "v2-legacy", "v3-rope-parameters", "v3-legacy"):
        with open(os.path.join(HERE, name, "config.json")) as f:
            keys = list(json.load(f))
        print(f"{name}: {len(keys)} keys: {' '.join(keys)}")


if __name__ == "__main__":
    main()
