#!/usr/bin/env bash
# Both import tools writing through the skytrain-fs mount (moto behind it): outputs equal a
# local-directory import byte for byte, land as S3 objects, survive a remount (the rerun does
# no work), and a SIGKILLed dataset import resumes on the mount to the same checksums.
# Skipped (exit 0 with a message) only when skytrain-fs is not part of this build.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/lib/hub_server.sh"
harness_init
FS_BIN=""
for c in "${SKYTRAIN_FS_BIN:-}" "$BIN/skytrain-fs" "$BIN/fs/skytrain-fs"; do
  if [ -n "$c" ] && [ -x "$c" ]; then FS_BIN=$c; break; fi
done
if [ -z "$FS_BIN" ]; then
  echo "SKIP: skytrain-fs is not in this build ($BIN), so the import cannot be tested through the mount"
  exit 0
fi
BIN_FS_DIR=$(dirname "$FS_BIN")
IMPORT_DS="$BIN/pipeline/skytrain-import-dataset"
IMPORT_MODEL="$BIN/pipeline/skytrain-import-model"
CHECK="python3 $SKYTRAIN_SRC/tests/lib/import_check.py"
export NODE_PATH="$SKYTRAIN_SRC/tests/node/node_modules"
export SKYTRAIN_HUB_BACKOFF_MS=20 SKYTRAIN_PROGRESS_INTERVAL=0
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN

H="$T/hub"
mkdir -p "$H/datasets/org/ft/data" "$H/models/org/tiny"
node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" finetome "$H/datasets/org/ft/data/train-00000-of-00001.parquet" 4000 1000 snappy
echo '{"model_type":"qwen2"}' >"$H/models/org/tiny/config.json"
echo '{"model":{}}' >"$H/models/org/tiny/tokenizer.json"
head -c 9000000 /dev/urandom >"$H/models/org/tiny/model.safetensors"
start_hub "$H"
export HF_ENDPOINT=$HUB_URL

start_s3 moto
make_bucket skytrain-import
MNT="$T/mnt"
BIN=$BIN_FS_DIR mount_bucket skytrain-import "$MNT"
check "mounted" mountpoint -q "$MNT"

DS_ARGS=(org/ft --cache-dir "$T/cache" --shard-size 1000)
echo "== import into a local directory (reference) and into the mount"
check "local dataset" "$IMPORT_DS" "${DS_ARGS[@]}" --root "$T/local" >/dev/null 2>&1
check "local model" "$IMPORT_MODEL" org/tiny --root "$T/local" >/dev/null 2>&1
check "mount dataset" "$IMPORT_DS" "${DS_ARGS[@]}" --root "$MNT" >"$T/out" 2>&1
check "mount model" "$IMPORT_MODEL" org/tiny --root "$MNT" >>"$T/out" 2>&1
cat "$T/out"
$CHECK sums "$T/local" >"$T/sums-local"
$CHECK sums "$MNT" >"$T/sums-mount"
check "mount output equals local output" diff "$T/sums-local" "$T/sums-mount"
$CHECK manifest "$MNT/standardized/org/ft"

echo "== the files are S3 objects"
awsl s3 cp "s3://skytrain-import/standardized/org/ft/manifest.json" "$T/manifest-from-s3.json" >/dev/null
check "manifest object equals local manifest" cmp -s "$T/manifest-from-s3.json" "$T/local/standardized/org/ft/manifest.json"
awsl s3 cp "s3://skytrain-import/models/org/tiny/model.safetensors" "$T/weights-from-s3" >/dev/null
check "weights object equals the hub file" cmp -s "$T/weights-from-s3" "$H/models/org/tiny/model.safetensors"

echo "== remount, rerun does nothing"
unmount "$MNT"
BIN=$BIN_FS_DIR mount_bucket skytrain-import "$MNT"
check "dataset rerun" bash -c "'$IMPORT_DS' ${DS_ARGS[*]} --root '$MNT' 2>&1 | grep -q 'nothing to do'"
check "model rerun" bash -c "'$IMPORT_MODEL' org/tiny --root '$MNT' 2>&1 | grep -q 'nothing to do'"

echo "== SIGKILL on the mount, then resume"
R="$MNT/resume"
"$IMPORT_DS" "${DS_ARGS[@]}" --root "$R" >"$T/kill" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  if [ -e "$R/standardized/org/ft/00001/data.jsonl" ]; then kill -9 "$pid"; break; fi
  sleep 0.05
done
wait "$pid" 2>/dev/null || true
check "resume on the mount" "$IMPORT_DS" "${DS_ARGS[@]}" --root "$R" >"$T/resume" 2>&1
cat "$T/resume"
$CHECK sums "$R" >"$T/sums-resume"
$CHECK sums "$T/local" | grep -v models/ >"$T/sums-local-ds"
check "resumed on the mount equals local" diff "$T/sums-local-ds" "$T/sums-resume"
echo "PASS"
