#!/usr/bin/env bash
# skytrain-import-model against the local hub: file selection, parallel verified downloads,
# no-work rerun, revision pinning (and switching), gated/404/flaky/checksum-mismatch cases, and
# SIGKILL during a (throttled) download followed by a ranged resume.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/lib/hub_server.sh"
harness_init
IMPORT="$BIN/pipeline/skytrain-import-model"
[ -x "$IMPORT" ] || IMPORT="$BIN/skytrain-import-model"
export SKYTRAIN_HUB_BACKOFF_MS=20 SKYTRAIN_PROGRESS_INTERVAL=0
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN

H="$T/hub"
M="$H/models/org/tiny"
mkdir -p "$M/onnx" "$H/models/org/tiny@v1" "$H/models/org/gated" "$H/models/org/nosafetensors"
echo '{"model_type":"qwen2","hidden_size":64}' >"$M/config.json"
echo '{"max_new_tokens":16}' >"$M/generation_config.json"
echo '{"version":"1.0","model":{"type":"BPE"}}' >"$M/tokenizer.json"
echo '{"chat_template":"{{ messages }}","eos_token":"<|im_end|>"}' >"$M/tokenizer_config.json"
echo '{"a":0}' >"$M/vocab.json"
printf '#version: 0.2\na b\n' >"$M/merges.txt"
echo '{}' >"$M/special_tokens_map.json"
echo '{% for m in messages %}{{ m.content }}{% endfor %}' >"$M/chat_template.jinja"
head -c 3000000 /dev/urandom >"$M/model-00001-of-00002.safetensors"
head -c 12000000 /dev/urandom >"$M/model-00002-of-00002.safetensors"
echo '{"metadata":{"total_size":15000000},"weight_map":{}}' >"$M/model.safetensors.index.json"
echo "not selected" >"$M/README.md"
echo "not selected" >"$M/onnx/model.onnx"
# Revision v1: one weight file, another config.
echo '{"model_type":"qwen2","hidden_size":32}' >"$H/models/org/tiny@v1/config.json"
head -c 1000000 /dev/urandom >"$H/models/org/tiny@v1/model.safetensors"
cp "$M/config.json" "$M/model-00001-of-00002.safetensors" "$H/models/org/gated/"
cp "$M/config.json" "$H/models/org/nosafetensors/"

start_hub "$H" --page-size 4 --gated org/gated --token sekrit
export HF_ENDPOINT=$HUB_URL
R="$T/root"
D="$R/models/org/tiny"

same_files() {  # same_files SRC DST names...
  local src=$1 dst=$2
  shift 2
  for f in "$@"; do cmp -s "$src/$f" "$dst/$f" || { echo "differs: $f" >&2; return 1; }; done
}
FILES=(config.json generation_config.json tokenizer.json tokenizer_config.json vocab.json merges.txt
  special_tokens_map.json chat_template.jinja model-00001-of-00002.safetensors model-00002-of-00002.safetensors
  model.safetensors.index.json)

echo "== import"
check "import" "$IMPORT" org/tiny --root "$R" -j 3 >"$T/out" 2>&1
cat "$T/out"
check "all files identical" same_files "$M" "$D" "${FILES[@]}"
check "README not taken" test ! -e "$D/README.md" -a ! -e "$D/onnx"
check "manifest lists sha256" grep -q "$(sha256sum "$M/model-00002-of-00002.safetensors" | cut -c1-64)" "$D/manifest.json"
check "no partial files" test -z "$(find "$D" -name '*.partial')"

echo "== rerun does nothing"
before=$(stat -c '%Y %i' "$D"/*)
check "rerun" "$IMPORT" org/tiny --root "$R" >"$T/out2" 2>&1
check "nothing to do" grep -q "nothing to do" "$T/out2"
check "files untouched" test "$before" = "$(stat -c '%Y %i' "$D"/*)"
check "MODEL_NAME default" bash -c "MODEL_NAME=org/tiny '$IMPORT' --root '$R' 2>&1 | grep -q 'nothing to do'"

echo "== revision pinning"
check "import v1" "$IMPORT" org/tiny --revision v1 --root "$T/rv" >/dev/null 2>&1
check "v1 config" cmp -s "$H/models/org/tiny@v1/config.json" "$T/rv/models/org/tiny/config.json"
check "v1 manifest revision" grep -q '"revision": "v1"' "$T/rv/models/org/tiny/manifest.json"
check "switch to main" "$IMPORT" org/tiny --root "$T/rv" >/dev/null 2>&1
check "main files after switch" same_files "$M" "$T/rv/models/org/tiny" "${FILES[@]}"
check "v1-only weight removed" test ! -e "$T/rv/models/org/tiny/model.safetensors"

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
echo "== errors"
expect_fail "gated without token" "model org/gated is gated or private (HTTP 401) and HF_TOKEN is not set" "$IMPORT" org/gated --root "$R"
expect_fail "gated, wrong token" "HF_TOKEN given was rejected" env HF_TOKEN=nope "$IMPORT" org/gated --root "$R"
check "gated no manifest" test ! -e "$R/models/org/gated/manifest.json"
check "gated with token" env HF_TOKEN=sekrit "$IMPORT" org/gated --root "$R" >/dev/null 2>&1
expect_fail "missing model" "not found (HTTP 404): model org/none" "$IMPORT" org/none --root "$R"
expect_fail "missing revision" 'revision "v7"' "$IMPORT" org/tiny --revision v7 --root "$R"
expect_fail "no safetensors" "no \*.safetensors" "$IMPORT" org/nosafetensors --root "$R"
expect_fail "bad id" "'..' segments" "$IMPORT" "org/../x" --root "$R"

stop_hub "$HUB_PID"
start_hub "$H" --corrupt org/tiny/model-00002-of-00002.safetensors
export HF_ENDPOINT=$HUB_URL
expect_fail "checksum mismatch" 'checksum mismatch: model org/tiny file "model-00002-of-00002.safetensors"' \
  "$IMPORT" org/tiny --root "$T/corrupt"
check "no manifest after mismatch" test ! -e "$T/corrupt/models/org/tiny/manifest.json"
check "bad file not published" test ! -e "$T/corrupt/models/org/tiny/model-00002-of-00002.safetensors"

for mode in 503 drop truncate; do
  stop_hub "$HUB_PID"
  start_hub "$H" --flaky 2 --flaky-mode "$mode"
  export HF_ENDPOINT=$HUB_URL
  check "flaky $mode" "$IMPORT" org/tiny --root "$T/flaky-$mode" >"$T/flaky" 2>&1
  check "flaky $mode retried" grep -q retrying "$T/flaky"
  check "flaky $mode files" same_files "$M" "$T/flaky-$mode/models/org/tiny" "${FILES[@]}"
done

echo "== SIGKILL during a download, then resume"
stop_hub "$HUB_PID"
start_hub "$H" --rate 4000000
export HF_ENDPOINT=$HUB_URL
K="$T/killed/models/org/tiny"
"$IMPORT" org/tiny --root "$T/killed" -j 2 >"$T/kill1" 2>&1 &
pid=$!
partial="$K/.model-00002-of-00002.safetensors.partial"
while kill -0 "$pid" 2>/dev/null; do
  if [ -e "$partial" ] && [ "$(stat -c %s "$partial")" -gt 2000000 ]; then
    kill -9 "$pid"
    break
  fi
  sleep 0.05
done
wait "$pid" 2>/dev/null || true
check "partial left behind" test -e "$partial"
check "no manifest after kill" test ! -e "$K/manifest.json"
check "resume" "$IMPORT" org/tiny --root "$T/killed" >"$T/kill2" 2>&1
cat "$T/kill2"
check "resumed with a range request" grep -q "resuming a partial download" "$T/kill2"
check "resumed files identical" same_files "$M" "$K" "${FILES[@]}"
check "resumed manifest identical" cmp -s "$D/manifest.json" "$K/manifest.json"
echo "== a stale partial (another version of the file) is detected and replaced"
S="$T/stale/models/org/tiny"
mkdir -p "$S"
head -c 1000 /dev/urandom >"$S/.model-00002-of-00002.safetensors.partial"
check "stale partial run" "$IMPORT" org/tiny --root "$T/stale" >"$T/stale.log" 2>&1
check "stale partial reported" grep -q "partial download was stale" "$T/stale.log"
check "stale partial: files identical" same_files "$M" "$S" "${FILES[@]}"
check "--help documents flags" bash -c "'$IMPORT' --help | grep -q -- --revision"
echo "PASS"
