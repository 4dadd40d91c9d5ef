#!/usr/bin/env bash
# Runs sky/allatonce.yaml's `run:` block exactly as SkyPilot would on a node (bash, with the
# task's envs), but against a local moto bucket, the local hub server, a small sample dataset
# and the tiny model, with the tools of this build on PATH. Proves the commands in the task
# file work: every stage's manifest lands in the bucket (checked with awscli, not the mount),
# the block unmounts on exit, and a second run skips every stage.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
source "$SKYTRAIN_SRC/tests/lib/sky_task.sh"
sky_task_setup allatonce allatonce-test

# The task's envs, as `sky launch --env-file .env` would set them (with this test's servers).
run_block() {
  env BUCKET_NAME=allatonce-test AWS_ENDPOINT_URL_S3="$S3_ENDPOINT" AWS_REGION=us-east-1 \
    HF_ENDPOINT="$HUB_URL" HF_TOKEN="" SHARD_SIZE=150 MAX_SEQ_LEN=256 \
    TRAIN_ARGS="--max-steps 6 --save-steps 3 --batch-size 4 --grad-accum 1" SKYTRAIN_MOUNT="$T/mnt" \
    bash "$T/blocks/allatonce.run.sh" > "$T/$1.log" 2>&1
}
_H_MOUNTS+=("$T/mnt")
check "allatonce.yaml run block" run_block run1 || { tail -30 "$T/run1.log"; exit 1; }
tail -5 "$T/run1.log"
check "the run block unmounted the bucket" bash -c "! findmnt -rn --mountpoint '$T/mnt' >/dev/null"

awsl s3 ls --recursive s3://allatonce-test | awk '{print $4}' > "$T/keys"
D=$DATASET_NAME M=$MODEL_NAME
for k in raw/$D/manifest.json standardized/$D/manifest.json standardized/$D/00002/data.jsonl models/$M/manifest.json \
         model-ready/$M/$D/manifest.json model-ready/$M/$D/00002/tokens.bin done/$M/$D/manifest.json \
         done/$M/$D/lora_model/adapter_model.safetensors done/$M/$D/fused/model.safetensors; do
  check "s3://allatonce-test/$k" grep -qxF "$k" "$T/keys"
done
check "second run" run_block run2
check "second run: every stage skipped" test "$(grep -c "nothing to do" "$T/run2.log")" -ge 4
echo "sky_allatonce_run: OK"
