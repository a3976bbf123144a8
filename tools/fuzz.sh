#!/usr/bin/env bash
# Runs DS's libFuzzer targets (test/fuzz; docs/reliability.md).
#
#   tools/fuzz.sh TARGET [SECONDS]   fuzz one target for SECONDS (default 60)
#   tools/fuzz.sh all [SECONDS]      every target in turn, SECONDS each
#   tools/fuzz.sh list               the targets
#
# Targets: ir textproto hf_config safetensors manifest data checkpoint.
#
# Inputs: the regressions test/fuzz/regressions/TARGET (inputs that once
# failed; each must now pass), a corpus committed under test/fuzz/corpus/
# TARGET if there is one (none is: docs/reliability.md), seeds made fresh
# from the repository's own files, and the corpus this build has grown in
# BUILD/fuzz/corpus/TARGET. A dictionary is made from the sources (op
# names, config fields, JSON keys), so it follows them.
#
# A crash, sanitizer report, leak, timeout or out-of-memory stops the run
# with the input saved in BUILD/fuzz/findings/TARGET/ and a non-zero exit;
# reproduce with `BUILD/fuzz/ds-fuzz-TARGET FILE`. The log of each run is
# BUILD/fuzz/logs/TARGET.log; a summary line per target is printed.
#
# Environment: DS_BUILD_DIR (default build/); DS_FUZZ_ARGS, more libFuzzer
# flags (e.g. -jobs=2, -runs=1000000).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS_BUILD_DIR:-$root/build}"
targets=(ir textproto hf_config safetensors manifest data checkpoint)

usage() {
  echo "usage: tools/fuzz.sh TARGET|all|list [SECONDS]" >&2
  echo "targets: ${targets[*]}" >&2
  exit 2
}

# Writes the dictionary entries for quoted identifiers in files.
quoted_words() {
  grep -ohE '"[A-Za-z_][A-Za-z0-9_.:/-]*"' "$@" | sort -u
}

make_dictionary() { # target file
  local target=$1 out=$2 separator='"\x0a=== ds-fuzz file ===\x0a"'
  {
    case $target in
      ir)
        grep -ohE 'Ds_[A-Za-z]*Op<"[a-z_.]+"' "$root"/dialects/ds/*.td |
          sed -E 's/.*<"([^"]+)"/"ds.\1"/' | sort -u
        grep -ohE ':\$[a-z_]+' "$root"/dialects/ds/*.td |
          sed -E 's/:\$(.*)/"\1"/' | sort -u
        printf '"%s"\n' func.func return "tensor<" "xf32>" "xbf16>" "xi32>" \
          "xi64>" "->" "!ds." "#ds." "dense<" "array<i64:" "// -----" \
          "%arg0" "%0" "%1" "{" "}" "(" ")" ":" "," "=" "?x" "0x" ;;
      textproto)
        grep -oE '^\s+(optional |repeated )?\w+\s+(\w+)\s*=\s*[0-9]+' \
          "$root/frontend/config/model_config.proto" |
          sed -E 's/.*\s(\w+)\s*=.*/"\1:"/' | sort -u
        grep -oE '^\s+[A-Z][A-Z0-9_]+\s*=' "$root/frontend/config/model_config.proto" |
          sed -E 's/\s*([A-Z0-9_]+).*/"\1"/' | sort -u
        printf '"%s"\n' "{" "}" "1e308" "-1" "0" "2147483648" "nan" "inf" ;;
      hf_config)
        quoted_words "$root/frontend/config/HfConfigImport.cpp"
        printf '"%s"\n' "null" "true" "false" "1e308" "-1" "[" "]" "{" "}" ;;
      manifest)
        quoted_words "$root/runtime/Manifest.cpp" "$root/runtime/io/DType.cpp" ;;
      safetensors)
        quoted_words "$root/runtime/io/Safetensors.cpp" \
          "$root/runtime/io/WeightFiles.cpp" "$root/runtime/io/DType.cpp"
        echo "$separator"
        printf '"%s"\n' "model.safetensors" "model.safetensors.index.json" \
          "model.layers.0." "__metadata__" ;;
      data)
        quoted_words "$root/runtime/data/DataSummary.cpp"
        echo "$separator"
        printf '"%s"\n' "DSTOKENS" "data.json" "train.tokens" "val.tokens" ;;
      checkpoint)
        quoted_words "$root/runtime/train/Checkpoint.cpp"
        echo "$separator"
        printf '"%s"\n' "step-00000003/" "checkpoint.json" "state.safetensors" \
          ".partial-1" ;;
    esac
  } > "$out"
}

# The repository's own files as seeds for the text targets; DS's writers
# (ds-fuzz-seeds) for the others.
make_seeds() { # target directory
  local target=$1 out=$2 file n=0
  rm -rf "$out" && mkdir -p "$out"
  case $target in
    ir)
      # Each `// -----` chunk of a test file is a seed of its own.
      while IFS= read -r file; do
        n=$((n + 1))
        awk -v prefix="$out/seed-$n-" \
          '/^\/\/ -----/ { chunk++; next } { print > (prefix chunk+0) }' "$file"
      done < <(find "$root/models" "$root/test" -name '*.mlir' | sort) ;;
    textproto)
      find "$root/models" "$root/test" "$root/test/fuzz" \
        \( -name '*.textproto' -o -name '*.txtpb' -o -name '*.pbtxt' \) |
        sort -u | while IFS= read -r file; do
          n=$((n + 1)); cp "$file" "$out/seed-$n"
        done ;;
    hf_config)
      grep -rl --include='*.json' '"model_type"' "$root/test" | sort |
        while IFS= read -r file; do
          n=$((n + 1)); cp "$file" "$out/seed-$n"
        done
      for file in "$root"/models/*.textproto; do
        n=$((n + 1))
        "$build/bin/ds-model" "$file" --print-hf-config > "$out/export-$n" \
          2>/dev/null || rm -f "$out/export-$n"
      done ;;
    *)
      "$build/fuzz/ds-fuzz-seeds" "$target" "$out" || return 1 ;;
  esac
}

run_target() { # target seconds
  local target=$1 seconds=$2 fuzz="$build/fuzz"
  local binary="$fuzz/ds-fuzz-$target" log="$fuzz/logs/$target.log"
  local corpus="$fuzz/corpus/$target" findings="$fuzz/findings/$target"
  local seeds="$fuzz/seeds/$target" dict="$fuzz/dict/$target.dict"
  mkdir -p "$corpus" "$findings" "$fuzz/logs" "$fuzz/dict"
  make_seeds "$target" "$seeds" || { echo "fuzz: $target: no seeds"; return 1; }
  make_dictionary "$target" "$dict"
  local inputs=("$corpus" "$seeds")
  for dir in "$root/test/fuzz/corpus/$target" "$root/test/fuzz/regressions/$target"; do
    [ -d "$dir" ] && inputs+=("$dir")
  done
  # The manifest and multi-file seeds are larger than libFuzzer's default
  # 4 KiB limit.
  local start=$SECONDS
  "$binary" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
    -max_len=65536 -dict="$dict" -artifact_prefix="$findings/" \
    -print_final_stats=1 ${DS_FUZZ_ARGS:-} "${inputs[@]}" > "$log" 2>&1
  local status=$? elapsed=$((SECONDS - start))
  local runs cov
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  if [ $status -ne 0 ]; then
    echo "fuzz: $target: FAILED after ${runs:-?} executions (${cov:-no coverage}); see $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|ds-fuzz: property|LLVM ERROR|.*runtime error)' "$log" | head -5
    ls -t "$findings" | head -1 | sed "s|^|fuzz: input saved as $findings/|"
    return 1
  fi
  echo "fuzz: $target: ${runs:-0} executions in ${elapsed} s, ${cov:-no coverage}, no findings"
}

[ $# -ge 1 ] || usage
seconds="${2:-60}"
case "$1" in
  list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  all) selected=("${targets[@]}") ;;
  *) [[ " ${targets[*]} " == *" $1 "* ]] || usage; selected=("$1") ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

ninja -C "$build" $(printf 'ds-fuzz-%s ' "${selected[@]}") ds-fuzz-seeds ds-model \
  > "$build/fuzz-build.log" 2>&1 || {
  echo "fuzz: build failed; see $build/fuzz-build.log"; exit 1; }

failed=0
for target in "${selected[@]}"; do
  run_target "$target" "$seconds" || failed=1
done
exit $failed
