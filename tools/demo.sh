#!/usr/bin/env bash
# The main job, for now: set up and build DS, then compile the bundled tiny
# DeepSeek-V3-style model with ds-opt (parse, verify, canonicalize, CSE) and
# print its IR and an operation count. Training and sampling replace this once
# the runtime exists.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS_BUILD_DIR:-$root/build}"
model="${1:-$root/models/tiny-deepseek-v3.mlir}"

"$root/tools/setup.sh" ds-opt
echo "== ds-opt $(basename "$model") --canonicalize --cse"
"$build/bin/ds-opt" "$model" --canonicalize --cse --print-op-stats
