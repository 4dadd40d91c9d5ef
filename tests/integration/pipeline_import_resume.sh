#!/usr/bin/env bash
# Kill-and-resume for skytrain-import-dataset: an import from the local hub (a 100,000-row
# FineTome-shaped Parquet, 20 shards) is SIGKILLed at several points (before the first shard,
# after shards 2, 7 and 13 appear), re-run each time, and must finish with exactly the files
# (same sha256) of an uninterrupted import, reusing the finished shards.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/lib/hub_server.sh"
harness_init
IMPORT="$BIN/pipeline/skytrain-import-dataset"
[ -x "$IMPORT" ] || IMPORT="$BIN/skytrain-import-dataset"
CHECK="python3 $SKYTRAIN_SRC/tests/lib/import_check.py"
export NODE_PATH="$SKYTRAIN_SRC/tests/node/node_modules"
export SKYTRAIN_HUB_BACKOFF_MS=20 SKYTRAIN_PROGRESS_INTERVAL=0
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN

H="$T/hub"
mkdir -p "$H/datasets/org/big/data"
node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" finetome "$H/datasets/org/big/data/train-00000-of-00001.parquet" 100000 20000 snappy
start_hub "$H"
export HF_ENDPOINT=$HUB_URL
ARGS=(org/big --cache-dir "$T/cache" --shard-size 5000)

echo "== uninterrupted reference"
check "reference import" "$IMPORT" "${ARGS[@]}" --root "$T/ref" >/dev/null 2>&1
$CHECK sums "$T/ref" >"$T/sums-ref"
check "20 shards" grep -q '"shard_count": 20' "$T/ref/standardized/org/big/manifest.json"

R="$T/root"
STD="$R/standardized/org/big"
# kill_when COND_DESC test-args...: starts an import, SIGKILLs it as soon as the test holds.
kill_when() {
  local what=$1
  shift
  "$IMPORT" "${ARGS[@]}" --root "$R" >>"$T/log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if test "$@"; then
      kill -9 "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.02
  done
  wait "$pid" 2>/dev/null || true
  echo "killed: $what; shards present: $(ls "$STD" 2>/dev/null | grep -c '^[0-9]' || true); manifest: $([ -e "$STD/manifest.json" ] && echo yes || echo no)"
}

kill_when "before the first shard" -e "$R/raw/org/big/.import-journal.json"
kill_when "after shard 2 is published" -e "$STD/00002/data.jsonl"
kill_when "after shard 7 is published" -e "$STD/00007/data.jsonl"
kill_when "after shard 13 is published" -e "$STD/00013/data.jsonl"
check "no manifest while unfinished" test ! -e "$STD/manifest.json" -o -e "$STD/00019/data.jsonl"

echo "== final run"
check "final run" "$IMPORT" "${ARGS[@]}" --root "$R" >"$T/final" 2>&1
cat "$T/final"
cat "$T/log" | grep -E "resuming|error" || true
check "a resumed run kept finished shards" grep -qE "resuming after [1-9][0-9]* finished shard" "$T/log" "$T/final"
$CHECK sums "$R" >"$T/sums-resumed"
check "resumed output equals the uninterrupted output" diff "$T/sums-ref" "$T/sums-resumed"
check "no temp files left" test -z "$(find "$R" -name '.*.tmp-*')"
check "rerun does nothing" bash -c "'$IMPORT' ${ARGS[*]} --root '$R' 2>&1 | grep -q 'nothing to do'"
echo "PASS"
