#!/usr/bin/env bash
# trainer: the learning test. A tiny random Qwen2 (2 layers, hidden 64) with the real Qwen
# tokenizer learns the synthetic colour task with LoRA on CPU: the trained-token loss must fall
# to at most half of its first value, and afterwards skytrain-generate with the adapter must
# answer held-out prompts (questions never seen in training; see make_color_task.py) better
# than the base model, and at least half of them right. The fused model must answer like base + adapter.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
source "$SKYTRAIN_SRC/tests/integration/trainer/setup_color_task.sh"
setup_color_task

check "training" "$TBIN/skytrain-train" --root "$ROOT" --model "$MODEL" --dataset "$DATASET" \
  --epochs 3 --batch-size 8 --grad-accum 1 --lr 6e-3 --warmup-steps 5 --save-steps 0 --threads 2 --logging-steps 16
metrics=$OUT_DIR/checkpoints/metrics.jsonl
read -r first last <<< "$(python3 - "$metrics" <<'PY'
import json, sys
losses = [json.loads(l)["loss"] for l in open(sys.argv[1]) if '"loss"' in l]
print(losses[0], sum(losses[-8:]) / 8)
PY
)"
echo "trained-token loss: first step $first, mean of the last 8 steps $last"
check "loss fell by at least half" python3 -c "import sys; sys.exit(0 if $last <= $first / 2 else 1)"

# Outputs: PEFT adapter + tokenizer files; fused model with the base's files; manifest last.
for f in adapter_config.json adapter_model.safetensors tokenizer.json tokenizer_config.json; do
  check "lora_model/$f" test -s "$OUT_DIR/lora_model/$f"
done
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json; do
  check "fused/$f" test -s "$OUT_DIR/fused/$f"
done
check "manifest" test -s "$OUT_DIR/manifest.json"

score() {  # score FILE: fraction of completions with the expected colour and no other
  python3 "$SKYTRAIN_SRC/mount-scripts/score-answers.py" "$1" "$T/heldout.jsonl" --fraction
}
gen=("$TBIN/skytrain-generate" --prompts-file "$T/heldout.jsonl" --jsonl --max-new-tokens 12 --threads 2)
check "generate (base)" "${gen[@]}" "$MODEL_DIR" > "$T/base.jsonl"
check "generate (adapter)" "${gen[@]}" "$MODEL_DIR" --adapter "$OUT_DIR/lora_model" > "$T/tuned.jsonl"
check "generate (fused)" "${gen[@]}" --root "$ROOT" --model "$MODEL" --dataset "$DATASET" --fused > "$T/fused.jsonl"
base=$(score "$T/base.jsonl")
tuned=$(score "$T/tuned.jsonl")
fused=$(score "$T/fused.jsonl")
echo "held-out accuracy: base $base, base+adapter $tuned, fused (bf16) $fused"
head -3 "$T/tuned.jsonl"
check "adapter beats the base on held-out prompts" python3 -c "import sys; sys.exit(0 if $tuned > $base and $tuned >= 0.5 else 1)"
check "fused model answers as well (within one prompt)" python3 -c "import sys; sys.exit(0 if $fused >= $tuned - 1/16 else 1)"
echo "trainer_learning: OK"
