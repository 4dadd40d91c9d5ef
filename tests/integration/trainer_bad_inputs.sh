#!/usr/bin/env bash
# trainer: bad inputs get a clear error naming the problem and a non-zero exit, never a crash or
# a half-written output: corrupt and truncated safetensors, config/weights mismatch, a token shard
# from another tokenizer, an empty dataset, a missing pretokenize manifest, bad ids and flags.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
source "$SKYTRAIN_SRC/tests/integration/trainer/setup_color_task.sh"
setup_color_task

train() { "$TBIN/skytrain-train" --root "$ROOT" --model "$MODEL" --dataset "$DATASET" --max-steps 1 --no-fused "$@"; }
# expect_error WHAT PATTERN cmd...: the command must fail and its stderr must match PATTERN.
expect_error() {
  local what=$1 pattern=$2
  shift 2
  if "$@" 2> "$T/err.log"; then
    echo "CHECK FAILED: $what: expected a failure" >&2
    exit 1
  fi
  if ! grep -qE -- "$pattern" "$T/err.log"; then
    echo "CHECK FAILED: $what: stderr does not match /$pattern/:" >&2
    cat "$T/err.log" >&2
    exit 1
  fi
  echo "ok: $what: $(grep -oE -- "$pattern" "$T/err.log" | head -1)"
}

W=$MODEL_DIR/model.safetensors
cp "$W" "$T/good.safetensors"
truncate -s -100 "$W"
expect_error "truncated safetensors" "model.safetensors: tensors end at file byte [0-9]+ but the file has [0-9]+ bytes: truncated" train
cp "$T/good.safetensors" "$W"
printf '\x08' | dd of="$W" bs=1 seek=0 count=1 conv=notrunc status=none  # wrong header length: JSON cut short
expect_error "corrupt safetensors header" "model.safetensors: header \(bytes 8\.\.[0-9]+\) is not valid JSON" train
cp "$T/good.safetensors" "$W"

cp "$MODEL_DIR/config.json" "$T/config.json"
sed -i 's/"intermediate_size": 256/"intermediate_size": 512/' "$MODEL_DIR/config.json"
expect_error "config/weights mismatch" 'tensor "model.layers.0.mlp.(down|gate|up)_proj.weight" has shape \[[0-9,]+\] but config.json implies' train
cp "$T/config.json" "$MODEL_DIR/config.json"
sed -i 's/"model_type": "qwen2"/"model_type": "gpt_neox"/' "$MODEL_DIR/config.json"
expect_error "unsupported model_type" 'model_type "gpt_neox" is not supported' train
cp "$T/config.json" "$MODEL_DIR/config.json"

"$TBIN/trainer-test-write-shard" "$DATA_DIR/shard-00001" "$(printf 'f%.0s' $(seq 64))" < "$T/tokens.jsonl"
expect_error "shard from another tokenizer" "shard-00001/tokens.bin: shard was tokenized with tokenizer sha256 f{64} but the model's tokenizer.json has sha256" train
rm -r "$DATA_DIR/shard-00001"

E=$ROOT/model-ready/$MODEL/test/empty
"$TBIN/trainer-test-write-shard" "$E/shard-00000" "$(sha256sum "$MODEL_DIR/tokenizer.json" | cut -d' ' -f1)" < /dev/null
echo '{}' > "$E/manifest.json"
expect_error "empty dataset" "empty dataset" "$TBIN/skytrain-train" --root "$ROOT" --model "$MODEL" --dataset test/empty --max-steps 1
expect_error "not pretokenized" "no manifest.json: the dataset is not \(completely\) pretokenized" \
  "$TBIN/skytrain-train" --root "$ROOT" --model "$MODEL" --dataset test/missing
expect_error "bad dataset id" "--dataset" "$TBIN/skytrain-train" --root "$ROOT" --model "$MODEL" --dataset ../etc
expect_error "bad flag value" "--lora-r must be positive" train --lora-r 0
expect_error "bad target" 'unknown LoRA target "qq"' train --lora-targets q,qq
check "no output was published by the failed runs" test ! -e "$OUT_DIR/manifest.json"
check "no lora_model was published by the failed runs" test ! -e "$OUT_DIR/lora_model"
echo "trainer_bad_inputs: OK"
