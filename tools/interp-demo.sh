#!/usr/bin/env bash
# A tour of the compiler front end and the interpreter: set up and build DS,
# then
#  1. build the tiny DeepSeek-V3-style model (MLA + DeepSeekMoE) from its
#     config and show its IR,
#  2. run it in the reference interpreter on a Hugging Face-layout checkpoint
#     and check logits and loss against the independent JAX implementation,
#  3. emit and verify full-size DeepSeek-V3 (671B) and report the time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS_BUILD_DIR:-$root/build}"
bin="$build/bin"
golden="$root/test/models/golden/tiny-moe"

"$root/tools/setup.sh" ds-opt ds-model ds-interp

echo "== ds-model models/tiny-moe.textproto (one function per layer kind, one ds.scan per kind)"
"$bin/ds-model" "$root/models/tiny-moe.textproto" --timing |
  grep -E '^  func.func|ds.scan' | cut -c1-118 | sed 's/$/ .../'

echo
echo "== ds-interp: tiny-moe on the Hugging Face checkpoint $golden (f32)"
"$bin/ds-interp" "$root/models/tiny-moe.mlir" --entry=loss --weights="$golden" \
  --inputs="$golden/golden.safetensors" --compare="$golden/golden.safetensors" \
  --expect=loss=loss_f32 --rtol=1e-4
"$bin/ds-interp" "$root/models/tiny-moe.mlir" --weights="$golden" \
  --inputs="$golden/golden.safetensors" --compare="$golden/golden.safetensors" \
  --expect=logits=logits_f32 --rtol=1e-4

echo
echo "== ds-model models/deepseek-v3.textproto (full size, 61 layers, 256 experts)"
"$bin/ds-model" "$root/models/deepseek-v3.textproto" --timing -o /dev/null
