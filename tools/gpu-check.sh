#!/usr/bin/env bash
# The CUDA backend's device suite in one command, for a GPU node that has
# CUDA 13 (nvcc), CMake, Ninja, GCC and Python but no MLIR, no Debian
# packages and no network. Two halves:
#
#   tools/gpu-check.sh --prepare    on a build machine (after tools/setup.sh):
#       compiles the CUDA artifacts and the CPU references and writes
#       gpu-bundle/ and, packed, gpu-bundle.tar.gz (ignored by git; ~8 MiB,
#       what travels to the node): artifacts, expected results, the corpora,
#       nlohmann-json's headers
#   tools/gpu-check.sh              on the GPU node, from the repository root
#       with gpu-bundle/ or gpu-bundle.tar.gz: builds the runtime-only configuration
#       (build-gpu/, DS_RUNTIME_ONLY) and runs the suite:
#         1. every CUDA kernel against its double reference (random data);
#         2. forward, loss, train_step, prefill and decode of tiny-dense and
#            tiny-moe against the CPU backend on the same random inputs (f32:
#            1e-5 relative; bf16 autocast: 1e-2), gpt-10m's loss and decode;
#         3. 50 training steps of tiny-moe and gpt-10m on the KJV corpus whose
#            losses track the CPU run's (first step 1e-5, all 1e-2);
#         4. compute-sanitizer memcheck on one train step;
#       and prints a table (and the time each part took). Exit status 0 when
#       every check passed.
#
# DS_GPU_BUNDLE overrides the bundle directory, DS_GPU_BUILD the build one.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="${DS_GPU_BUNDLE:-$root/gpu-bundle}"
helper="$root/tools/gpu-check/gpu_check.py"
# model  vocabulary  corpus
models=("tiny-dense 512 data-512" "tiny-moe 512 data-512" "gpt-10m 8192 data-8192")

prepare() {
  local build="${DS_BUILD_DIR:-$root/build}" bin work
  bin="$build/bin"
  "$root/tools/setup.sh" ds-compile ds-run ds-train ds-data
  work="$build/gpu-prepare"
  rm -rf "$bundle" && mkdir -p "$bundle/include" "$work"
  cp -r /usr/include/nlohmann "$bundle/include/"
  # The corpora: the demo's (512 tokens) and one for gpt-10m's vocabulary.
  if [ ! -s "$work/kjv.txt" ]; then
    bible -l100000 Gen1:1-Rev22:21 > "$work/kjv.txt"
  fi
  for vocab in 512 8192; do
    "$bin/ds-data" prepare "$work/kjv.txt" -o "$bundle/data-$vocab" \
      --vocab-size=$vocab >/dev/null 2>&1
  done
  for spec in "${models[@]}"; do
    read -r model vocab data <<<"$spec"
    local source="$root/models/$model.mlir"
    [ -f "$source" ] || source="$root/models/$model.textproto"
    local out="$bundle/$model"
    mkdir -p "$out"
    for precision in f32 bf16; do
      local autocast=() suffix=""
      if [ $precision = bf16 ]; then
        [ "$model" = gpt-10m ] && continue
        autocast=(--autocast=bf16) suffix="-bf16"
      fi
      echo "== $model ($precision): CUDA and CPU artifacts"
      local all=train_step,loss,forward,prefill,decode
      "$bin/ds-compile" "$source" --train "${autocast[@]}" --entry=$all \
        --target=cuda --gpu-chip=sm_90 -o "$out/cuda$suffix" >/dev/null
      "$bin/ds-compile" "$source" --train "${autocast[@]}" --entry=$all \
        -o "$work/$model-cpu$suffix" >/dev/null
      local entries=(train_step loss forward prefill decode)
      [ "$model" = gpt-10m ] && entries=(loss decode)
      for entry in "${entries[@]}"; do
        python3 "$helper" inputs "$work/$model-cpu$suffix" $entry \
          "$work/inputs.safetensors" --vocab=$vocab
        "$bin/ds-run" "$work/$model-cpu$suffix" --entry=$entry \
          --inputs="$work/inputs.safetensors" --stacked-names \
          --output="$work/expected.safetensors" >/dev/null
        python3 "$helper" digest "$work/expected.safetensors" \
          "$out/$entry$suffix.expected.json"
      done
    done
    if [ "$model" != tiny-dense ]; then
      echo "== $model: 50 training steps on the CPU"
      rm -rf "$work/run"
      "$bin/ds-train" "$work/$model-cpu" --data="$bundle/$data" \
        --run="$work/run" --steps=50 --eval-every=0 --checkpoint-every=0 \
        --log-every=1 --seed=1 --quiet
      cp "$work/run/metrics.jsonl" "$out/train-50.metrics.jsonl"
    fi
  done
  tar -C "$(dirname "$bundle")" -czf "$bundle.tar.gz" "$(basename "$bundle")"
  du -sh "$bundle" "$bundle.tar.gz"
}

# --- on the GPU node ---------------------------------------------------------

results=()
failed=0
record() { # name status seconds detail
  results+=("$(printf '| %-44s | %-7s | %6ss | %s' "$1" "$2" "$3" "$4")")
  [ "$2" = ok ] || [ "$2" = skipped ] || failed=1
}

# check NAME DETAIL COMMAND...: runs it, records ok or FAIL with its time.
check() {
  local name="$1" detail="$2" start status log
  shift 2
  log="$(mktemp)"
  start=$(date +%s%N)
  if "$@" >"$log" 2>&1; then status=ok; else status=FAIL; fi
  local tenths=$((($(date +%s%N) - start) / 100000000))
  local seconds="$((tenths / 10)).$((tenths % 10))"
  sed 's/^/    /' "$log" | tail -n 25
  [ $status = ok ] || detail="$detail (see above)"
  record "$name" $status "$seconds" "$detail"
  rm -f "$log"
}

run_suite() {
  local build="${DS_GPU_BUILD:-$root/build-gpu}" bin tmp
  bin="$build/bin"
  if [ ! -d "$bundle" ] && [ -f "$bundle.tar.gz" ]; then
    tar -C "$(dirname "$bundle")" -xzf "$bundle.tar.gz"
  fi
  [ -d "$bundle" ] || { echo "gpu-check: no $bundle (run tools/gpu-check.sh --prepare on a build machine)" >&2; exit 2; }
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  echo "== build (runtime only)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DDS_RUNTIME_ONLY=ON -DDS_EXTRA_INCLUDE="$bundle/include" \
    -DCMAKE_CUDA_COMPILER="${CUDA_ROOT:-/usr/local/cuda}/bin/nvcc" \
    -DCUDAToolkit_ROOT="${CUDA_ROOT:-/usr/local/cuda}" >/dev/null
  ninja -C "$build" ds-run ds-train ds-cuda-kernel-check | tail -n 1
  if ! "$bin/ds-run" --devices; then
    echo "gpu-check: no GPU here: nothing to check" >&2
    exit 77
  fi
  tmp="$(mktemp -d)"

  echo "== kernels"
  check "CUDA kernels vs double references" "ds-cuda-kernel-check" \
    "$bin/ds-cuda-kernel-check"

  echo "== parity with the CPU backend"
  for spec in "${models[@]}"; do
    read -r model vocab data <<<"$spec"
    for expected in "$bundle/$model"/*.expected.json; do
      local name entry suffix rtol artifact
      name="$(basename "$expected" .expected.json)"
      entry="${name%-bf16}"
      suffix="${name#"$entry"}"
      rtol=1e-5
      [ -n "$suffix" ] && rtol=1e-2
      artifact="$bundle/$model/cuda$suffix"
      parity() {
        python3 "$helper" inputs "$artifact" "$entry" "$tmp/in.safetensors" --vocab="$vocab" &&
        "$bin/ds-run" "$artifact" --entry="$entry" --inputs="$tmp/in.safetensors" \
          --stacked-names --output="$tmp/out.safetensors" &&
        python3 "$helper" compare "$expected" "$tmp/out.safetensors" --rtol=$rtol
      }
      check "$model $entry${suffix:+ (bf16)}" "rtol $rtol" parity
    done
  done

  echo "== 50 training steps"
  for spec in "${models[@]}"; do
    read -r model vocab data <<<"$spec"
    [ -f "$bundle/$model/train-50.metrics.jsonl" ] || continue
    train() {
      rm -rf "$tmp/run" &&
      "$bin/ds-train" "$bundle/$model/cuda" --data="$bundle/$data" --run="$tmp/run" \
        --steps=50 --eval-every=0 --checkpoint-every=0 --log-every=1 --seed=1 --quiet &&
      python3 "$helper" losses "$bundle/$model/train-50.metrics.jsonl" \
        "$tmp/run/metrics.jsonl" --first=1e-5 --all=1e-2
    }
    check "$model: 50 steps track the CPU's losses" "first 1e-5, all 1e-2" train
  done

  echo "== compute-sanitizer"
  local sanitizer="${CUDA_ROOT:-/usr/local/cuda}/bin/compute-sanitizer"
  if [ -x "$sanitizer" ]; then
    memcheck() {
      python3 "$helper" inputs "$bundle/tiny-moe/cuda" train_step "$tmp/in.safetensors" --vocab=512 &&
      "$sanitizer" --tool memcheck --error-exitcode 1 --print-limit 20 \
        "$bin/ds-run" "$bundle/tiny-moe/cuda" --entry=train_step --inputs="$tmp/in.safetensors"
    }
    check "memcheck: tiny-moe train_step" "compute-sanitizer" memcheck
  else
    record "memcheck: tiny-moe train_step" skipped 0 "no compute-sanitizer"
  fi
  rm -rf "$tmp"

  echo
  printf '| %-44s | %-7s | %7s | %s\n' check result time detail
  printf '|%s|%s|%s|%s\n' "$(printf -- '-%.0s' {1..46})" "---------" "---------" "--------"
  printf '%s\n' "${results[@]}"
  exit $failed
}

case "${1:-}" in
  --prepare) prepare ;;
  "") run_suite ;;
  *) sed -n '2,27p' "$0"; exit 2 ;;
esac
