#!/usr/bin/env bash
# The main job end to end: runs README command 1 (mount-scripts/quickstart.sh) against a moto
# server this test owns, then inspects the bucket with awscli (independent of our mount):
# every stage's manifest and outputs, the loss curve, the held-out answers, the adapter applied
# to the base model through a fresh mount, and a second run that skips every stage.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
start_s3 moto
bucket=qs-e2e
make_bucket "$bucket"
export SKYTRAIN_S3_ENDPOINT=$S3_ENDPOINT SKYTRAIN_QUICKSTART_BUCKET=$bucket SKYTRAIN_QUICKSTART_DIR=$T/qs
export SKYTRAIN_QUICKSTART_NO_BUILD=1 SKYTRAIN_QUICKSTART_ROWS=2000  # the same script, a smaller dataset (CI time)
M=skytrain/tiny-qwen2 D=skytrain/fruit-colors

quickstart() { "$SKYTRAIN_SRC/mount-scripts/quickstart.sh" > "$T/$1.log" 2>&1; }
not_mounted() { ! in_mount_table "$T/qs/mnt"; }
hub_gone() { ! pgrep -f "hub-server.py $T/qs/hub" > /dev/null; }
no_leftovers() { ! grep -E '\.tmp-' "$T/keys"; }
is_png() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 89504e47 ]; }
count() { grep -o "$1 [0-9]*/" "$T/run1.log" | grep -o '[0-9]*' | tail -1; }

check "quickstart (first run)" quickstart run1
tail -25 "$T/run1.log"
check "the quickstart unmounted" not_mounted
check "the hub server is gone" hub_gone

awsl s3 ls --recursive "s3://$bucket" | awk '{print $4}' > "$T/keys"
for k in raw/$D/manifest.json raw/$D/00000/data.jsonl standardized/$D/manifest.json standardized/$D/00000/data.jsonl \
         models/$M/manifest.json models/$M/model.safetensors models/$M/tokenizer.json models/$M/config.json \
         model-ready/$M/$D/manifest.json model-ready/$M/$D/00000/tokens.bin model-ready/$M/$D/00000/text.jsonl \
         done/$M/$D/manifest.json done/$M/$D/lora_model/adapter_config.json done/$M/$D/lora_model/adapter_model.safetensors \
         done/$M/$D/fused/config.json done/$M/$D/fused/model.safetensors done/$M/$D/fused/tokenizer.json \
         done/$M/$D/checkpoints/metrics.jsonl; do
  check "s3://$bucket/$k" grep -qxF "$k" "$T/keys"
done
check "no temp files left in the bucket" no_leftovers

awsl s3 cp --quiet "s3://$bucket/done/$M/$D/checkpoints/metrics.jsonl" "$T/metrics.jsonl"
check "loss fell by at least half" python3 - "$T/metrics.jsonl" <<'PY'
import json, sys
losses = [json.loads(l)["loss"] for l in open(sys.argv[1]) if '"loss"' in l]
first, last = losses[0], sum(losses[-10:]) / 10
print(f"loss: first {first:.3f}, mean of the last 10 steps {last:.4f}")
sys.exit(0 if last <= first / 2 else 1)
PY
check "loss curve is a PNG" is_png "$T/qs/loss.png"
base=$(count base)
tuned=$(count "fine-tuned (fused)")
echo "held-out right answers: base $base, fine-tuned $tuned"
check "the fine-tuned model beats the base on held-out questions" test "${tuned:-0}" -gt "${base:-0}"

# The PEFT adapter on the base model, read through a fresh mount, answers like the fused model.
mount_bucket "$bucket" "$T/mnt" --read-only
SKYTRAIN_LOG=warn check "generate (base + adapter, through the mount)" skytrain-generate "$T/mnt/models/$M" \
  --adapter "$T/mnt/done/$M/$D/lora_model" --prompts-file "$T/qs/held-out.jsonl" --jsonl --max-new-tokens 16 > "$T/adapter.jsonl"
adapter=$(python3 "$SKYTRAIN_SRC/mount-scripts/score-answers.py" "$T/adapter.jsonl" "$T/qs/held-out.jsonl" | cut -d/ -f1)
echo "held-out right answers with base + adapter: $adapter"
check "base + adapter answers like the fused model (within one)" test $((adapter - tuned)) -ge -1
unmount "$T/mnt"

check "quickstart (second run)" quickstart run2
check "second run: every stage skipped" test "$(grep -c "nothing to do" "$T/run2.log")" -ge 4
grep -h "finished in" "$T/run1.log" "$T/run2.log"
echo "e2e_quickstart: OK"
