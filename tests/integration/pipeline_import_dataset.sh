#!/usr/bin/env bash
# skytrain-import-dataset against the local hub server: Parquet (DuckDB-written, FineTome shape) and
# JSON Lines repos, tree paging, redirects, the no-work second run, gated/404/flaky/checksum
# cases, bad input (unknown role, missing column, truncated Parquet, malformed JSON) and
# --skip-bad-rows. Outputs are checked by an independent Python reading (tests/lib/import_check.py).
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
mkdir -p "$H/datasets/org/finetome/data" "$H/datasets/org/chat-jsonl/data" "$H/datasets/org/gated-ds" \
  "$H/datasets/org/badrole" "$H/datasets/org/nocol" "$H/datasets/org/truncated/data"
node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" finetome "$H/datasets/org/finetome/data/train-00000-of-00001.parquet" 3000 700 zstd
node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" finetome "$H/datasets/org/finetome/data/test-00000-of-00001.parquet" 50 20 snappy
mkdir -p "$H/datasets/org/lz4"
node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" finetome "$H/datasets/org/lz4/train.parquet" 50 20 lz4
node "$SKYTRAIN_SRC/tests/lib/import_fixtures.js" tojsonl "$H/datasets/org/finetome/data/train-00000-of-00001.parquet" "$T/duck-train.jsonl"
echo "# FineTome-shaped fixture" >"$H/datasets/org/finetome/README.md"
python3 - "$H" <<'PY'
import json, sys
h = sys.argv[1]
def conv(i, r2="gpt"):
    return [{"from": "human", "value": "q%d" % i}, {"from": r2, "value": "a%d" % i}]
for part in range(3):
    with open("%s/datasets/org/chat-jsonl/data/train-%05d-of-00003.jsonl" % (h, part), "w") as f:
        for i in range(part * 40, part * 40 + 40):
            f.write(json.dumps({"conversations": conv(i), "id": i, "score": i / 4}) + "\n")
with open(h + "/datasets/org/gated-ds/train.json", "w") as f:
    json.dump([{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}], f, indent=2)
with open(h + "/datasets/org/badrole/train.jsonl", "w") as f:
    for i in range(12):
        f.write(json.dumps({"conversations": conv(i, "robot" if i == 9 else "gpt")}) + "\n")
    f.write('{"conversations": [oops]}\n')
with open(h + "/datasets/org/nocol/train.jsonl", "w") as f:
    f.write(json.dumps({"text": "x", "label": 1}) + "\n")
PY
# A Parquet file cut in the middle (its footer is gone).
head -c 20000 "$H/datasets/org/finetome/data/train-00000-of-00001.parquet" >"$H/datasets/org/truncated/data/train.parquet"

start_hub "$H" --page-size 2 --gated org/gated-ds --token sekrit
export HF_ENDPOINT=$HUB_URL
R="$T/root"
C="$T/cache"

echo "== Parquet repo, paged listing, LFS redirect"
check "finetome import" "$IMPORT" org/finetome --root "$R" --cache-dir "$C" --shard-size 1000 >"$T/out1" 2>&1
cat "$T/out1"
check "4 shards" test -f "$R/standardized/org/finetome/00002/data.jsonl" -a ! -e "$R/standardized/org/finetome/00003"
$CHECK manifest "$R/raw/org/finetome"
$CHECK manifest "$R/standardized/org/finetome"
$CHECK same-rows "$R/raw/org/finetome" "$T/duck-train.jsonl"
$CHECK standardized "$R/raw/org/finetome" "$R/standardized/org/finetome"
check "manifest names the source file and sha256" grep -q "$(sha256sum "$H/datasets/org/finetome/data/train-00000-of-00001.parquet" | cut -c1-64)" "$R/raw/org/finetome/manifest.json"

echo "== second run does no work"
$CHECK sums "$R" >"$T/sums-before"
check "second run" "$IMPORT" org/finetome --root "$R" --cache-dir "$C" --shard-size 1000 >"$T/out2" 2>&1
cat "$T/out2"
check "says nothing to do" grep -q "nothing to do" "$T/out2"
$CHECK sums "$R" >"$T/sums-after"
check "no file changed" cmp -s "$T/sums-before" "$T/sums-after"

echo "== test split; env default DATASET_NAME"
check "test split" env DATASET_NAME=org/finetome "$IMPORT" --name org/finetome-test --split test --root "$R" --cache-dir "$C" >/dev/null 2>&1
check "50 test rows" grep -q '"rows": 50' "$R/standardized/org/finetome-test/manifest.json"

echo "== two imports at once sharing one download cache (the second waits for the first's download)"
stop_hub "$HUB_PID"
size=$(stat -c %s "$H/datasets/org/finetome/data/train-00000-of-00001.parquet")
start_hub "$H" --rate $((size * 2))  # each download takes about half a second: the two overlap
export HF_ENDPOINT=$HUB_URL
"$IMPORT" org/finetome --root "$T/root-a" --cache-dir "$T/cache-shared" --shard-size 1000 >"$T/shared-a" 2>&1 &
pid_a=$!
"$IMPORT" org/finetome --root "$T/root-b" --cache-dir "$T/cache-shared" --shard-size 1000 >"$T/shared-b" 2>&1 &
pid_b=$!
rc_a=0; rc_b=0
wait "$pid_a" || rc_a=$?
wait "$pid_b" || rc_b=$?
cat "$T/shared-a" "$T/shared-b"
check "both imports succeed" test "$rc_a$rc_b" = 00
check "the file was downloaded once" test "$(cat "$T/shared-a" "$T/shared-b" | grep -c 'downloaded data/train')" = 1
$CHECK sums "$T/root-a" >"$T/sums-a"
$CHECK sums "$T/root-b" >"$T/sums-b"
check "both imports wrote the same shards" cmp -s "$T/sums-a" "$T/sums-b"

echo "== JSON Lines repo with 3 files, flaky server (503, dropped and truncated responses)"
for mode in 503 drop truncate; do
  stop_hub "$HUB_PID"
  start_hub "$H" --page-size 3 --flaky 2 --flaky-mode "$mode"
  export HF_ENDPOINT=$HUB_URL
  rm -rf "$T/root-$mode" "$T/cache-$mode"
  check "flaky $mode import" "$IMPORT" org/chat-jsonl --root "$T/root-$mode" --cache-dir "$T/cache-$mode" --shard-size 50 >"$T/flaky-$mode" 2>&1
  check "flaky $mode retried" grep -q "retrying" "$T/flaky-$mode"
  $CHECK sums "$T/root-$mode" >"$T/sums-$mode"
done
check "flaky runs agree (503 vs drop)" cmp -s "$T/sums-503" "$T/sums-drop"
check "flaky runs agree (503 vs truncate)" cmp -s "$T/sums-503" "$T/sums-truncate"
$CHECK manifest "$T/root-503/standardized/org/chat-jsonl"
$CHECK standardized "$T/root-503/raw/org/chat-jsonl" "$T/root-503/standardized/org/chat-jsonl"
check "120 rows in 3 shards" grep -q '"shard_count": 3' "$T/root-503/standardized/org/chat-jsonl/manifest.json"

stop_hub "$HUB_PID"
start_hub "$H" --gated org/gated-ds --token sekrit --corrupt org/chat-jsonl/data/train-00001-of-00003.jsonl
export HF_ENDPOINT=$HUB_URL

expect_fail() {  # expect_fail WHAT PATTERN cmd...
  local what=$1 pat=$2
  shift 2
  if "$@" >"$T/err" 2>&1; then
    echo "expected failure: $what" >&2
    exit 1
  fi
  cat "$T/err"
  check "$what: message" grep -q -- "$pat" "$T/err"
}

echo "== gated dataset"
expect_fail "gated without token" "gated or private (HTTP 401) and HF_TOKEN is not set" "$IMPORT" org/gated-ds --root "$R" --cache-dir "$C"
expect_fail "gated with a wrong token" "HF_TOKEN given was rejected" env HF_TOKEN=wrong "$IMPORT" org/gated-ds --root "$R" --cache-dir "$C"
check "gated with the token" env HF_TOKEN=sekrit "$IMPORT" org/gated-ds --root "$R" --cache-dir "$C" >/dev/null 2>&1
check "gated rows" grep -q '"rows": 1' "$R/standardized/org/gated-ds/manifest.json"

echo "== 404s"
expect_fail "missing repo" "not found (HTTP 404): dataset org/missing" "$IMPORT" org/missing --root "$R" --cache-dir "$C"
expect_fail "missing revision" 'revision "v9"' "$IMPORT" org/finetome --revision v9 --root "$R" --cache-dir "$C"
expect_fail "missing split" 'split "validation" not found' "$IMPORT" org/finetome --split validation --root "$R" --cache-dir "$C"

echo "== checksum mismatch"
expect_fail "corrupt download" "checksum mismatch" "$IMPORT" org/chat-jsonl --root "$T/root-bad" --cache-dir "$T/cache-bad"
check "no manifest after checksum mismatch" test ! -e "$T/root-bad/raw/org/chat-jsonl/manifest.json"

echo "== bad input"
expect_fail "unknown role" 'standardized shard 00000 row 9 (dataset row 9; train.jsonl row 9): unknown role "robot"' \
  "$IMPORT" org/badrole --root "$R" --cache-dir "$C"
check "no manifest after unknown role" test ! -e "$R/standardized/org/badrole/manifest.json" -a ! -e "$R/raw/org/badrole/manifest.json"
check "skip-bad-rows" "$IMPORT" org/badrole --skip-bad-rows --root "$R" --cache-dir "$C" >/dev/null 2>&1
check "skipped rows counted" grep -q '"skipped_rows": 2' "$R/standardized/org/badrole/manifest.json"
check "skipped rows counted (raw)" grep -q '"skipped_rows": 1' "$R/raw/org/badrole/manifest.json"
expect_fail "missing conversations column" "missing conversations column" "$IMPORT" org/nocol --root "$R" --cache-dir "$C"
expect_fail "truncated parquet" "train.parquet" "$IMPORT" org/truncated --root "$R" --cache-dir "$C"
check "truncated parquet error names a byte offset" grep -qi "offset" "$T/err"
check "no manifest after truncated parquet" test ! -e "$R/raw/org/truncated/manifest.json"
expect_fail "unsupported codec" "train.parquet" "$IMPORT" org/lz4 --root "$R" --cache-dir "$C"
check "unsupported codec is named" grep -qi "lz4" "$T/err"
check "no manifest after unsupported codec" test ! -e "$R/raw/org/lz4/manifest.json"
printf '{"conversations":[{"from":"human","value":"x"}]}\n{"conversations":[{"from":"human","value":"x"}\n' >"$T/malformed.jsonl"
expect_fail "malformed JSON" "malformed.jsonl: row 1 (byte offset 49): malformed JSON" "$IMPORT" "$T/malformed.jsonl" --name me/malformed --root "$R"
expect_fail "bad dataset name" "dataset name" "$IMPORT" "$T/malformed.jsonl" --name ../evil --root "$R"
check "nothing written for a bad name" test ! -e "$T/evil" -a ! -e "$R/raw/../evil"
expect_fail "bad hub id" "empty path segment" "$IMPORT" "org//x" --root "$R"

echo "== persistent 5xx: retried, then a clear error"
stop_hub "$HUB_PID"
start_hub "$H" --flaky 1000 --flaky-mode 503
export HF_ENDPOINT=$HUB_URL
expect_fail "persistent 503" "HTTP 503" env SKYTRAIN_HUB_RETRIES=3 "$IMPORT" org/finetome --root "$T/root-503x" --cache-dir "$T/cache-503x"
check "retried twice before failing" test "$(grep -c retrying "$T/err")" -eq 2

echo "== local file:// source"
check "file:// import" "$IMPORT" "file://$H/datasets/org/chat-jsonl/data" --name me/local-chat --root "$R" --shard-size 50 >/dev/null 2>&1
check "file:// rows" grep -q '"rows": 120' "$R/standardized/me/local-chat/manifest.json"
check "--help documents flags" bash -c "'$IMPORT' --help | grep -q -- --skip-bad-rows"
echo "PASS"
