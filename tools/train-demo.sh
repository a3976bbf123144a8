#!/usr/bin/env bash
# The main job: set up and build DS, then train a small DeepSeek-V3-style
# model (tiny-moe: multi-head latent attention, DeepSeekMoE with 1 shared and
# 16 routed experts, sigmoid routing with a selection bias, group-limited
# top-k) on the King James Bible, on the CPU, and sample text from it.
#
#   1. the corpus: Debian's bible-kjv, printed by `bible`
#   2. ds-data: a 512-piece SentencePiece BPE tokenizer, train/val shards
#   3. ds-compile: tiny-moe's train step (autodiff + AdamW, warm-up + cosine
#      whose length ds-train sizes to the time limit), loss, forward and the
#      decoding entries, to native code
#   4. ds-train: DS_TRAIN_MINUTES minutes (default 5) of training, the
#      learning rate reaching its floor when the time is up, with the
#      validation loss against the unigram baseline (on the whole validation
#      shard at the end), checkpoints and a plot
#   5. ds-sample: text from the final checkpoint
#
# Everything goes to $DS_DEMO_DIR (default build/demo); a rerun reuses the
# corpus, data and compiled model and trains afresh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DS_BUILD_DIR:-$root/build}"
bin="$build/bin"
work="${DS_DEMO_DIR:-$build/demo}"
minutes="${DS_TRAIN_MINUTES:-5}"
steps=100000 # a cap: the schedule is sized to the time limit

"$root/tools/setup.sh" ds-data ds-compile ds-train ds-sample
mkdir -p "$work"

echo "== corpus: the King James Bible (bible-kjv)"
if [ ! -s "$work/kjv.txt" ]; then
  bible -l100000 Gen1:1-Rev22:21 > "$work/kjv.txt.partial"
  mv "$work/kjv.txt.partial" "$work/kjv.txt"
fi
wc -c "$work/kjv.txt" | awk '{printf "%s: %.1f MB of text\n", $2, $1 / 1e6}'

echo
echo "== ds-data prepare (tokenizer and token shards)"
if [ ! -f "$work/data/data.json" ]; then
  "$bin/ds-data" prepare "$work/kjv.txt" -o "$work/data" --vocab-size=512 2>/dev/null
else
  "$bin/ds-data" info "$work/data"
fi

echo
echo "== ds-compile models/tiny-moe.mlir (train_step, loss, forward, decode, prefill)"
"$bin/ds-compile" "$root/models/tiny-moe.mlir" \
  --passes="ds-autodiff,ds-optimizer{lr=3e-3 warmup-steps=100 schedule-argument=true}" \
  --entry=train_step,loss,forward,decode,prefill -o "$work/tiny-moe"

echo
echo "== ds-train: $minutes minutes on the CPU"
rm -rf "$work/run"
"$bin/ds-train" "$work/tiny-moe" --data="$work/data" --run="$work/run" \
  --steps=$steps --time-limit=$((minutes * 60)) --eval-every=500 \
  --checkpoint-every=1000 --log-every=250

echo
echo "== ds-sample (KV cache; temperature 0.8, top-k 40, top-p 0.95)"
for prompt in "In the beginning God" "And Jesus answered and said unto them,"; do
  "$bin/ds-sample" "$work/tiny-moe" --checkpoint="$work/run" --data="$work/data" \
    --prompt="$prompt" --max-tokens=100 --seed=1
  echo
done
echo "loss curve: $work/run/loss.png; metrics: $work/run/metrics.jsonl"
