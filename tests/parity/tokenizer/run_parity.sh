#!/usr/bin/env bash
# Parity of skytrain-tokenize with the HF tokenizers library on one tokenizer.json (the npm binding
# for everything, and the Python package for the ids too):
# ids (with and without special tokens), decode round trips, decodes of cut id lists, byte offsets,
# and raw invalid UTF-8 input. Exits non-zero on the first kind of difference.
# usage: run_parity.sh TOKENIZER_JSON WORK_DIR MEGABYTES [no-offsets]   (needs SKYTRAIN_BUILD, SKYTRAIN_SRC)
# "no-offsets": skip the offsets comparison (known difference: tokens holding a space inserted by
# ByteLevel add_prefix_space, after ByteLevel trim_offsets; ids are still compared).
set -euo pipefail
tok=$1 work=$2 mb=$3 offsets=${4:-offsets}
here=$(cd "$(dirname "$0")" && pwd)
bin=$SKYTRAIN_BUILD/pipeline/skytrain-tokenize
export NODE_PATH=$SKYTRAIN_SRC/tests/node/node_modules
mkdir -p "$work"
node "$here/reference.js" "$tok" "$work" "$mb"
cd "$work"
status=0
"$bin" --tokenizer "$tok" encode --jsonl --stats <corpus.jsonl >ours_ids.jsonl
node "$here/compare.js" ids.jsonl ours_ids.jsonl "ids" corpus.jsonl || status=1
python3 "$here/reference_py.py" "$tok" corpus.jsonl py_ids.jsonl
node "$here/compare.js" py_ids.jsonl ours_ids.jsonl "ids vs the Python tokenizers package" corpus.jsonl || status=1
python3 "$here/reference_py.py" "$tok" corpus_head.jsonl py_special.jsonl --add-special-tokens
"$bin" --tokenizer "$tok" encode --jsonl --threads 2 <corpus.jsonl >ours_ids_mt.jsonl
node "$here/compare.js" ids.jsonl ours_ids_mt.jsonl "ids (2 threads)" corpus.jsonl || status=1
"$bin" --tokenizer "$tok" encode --jsonl --add-special-tokens <corpus_head.jsonl >ours_special.jsonl
node "$here/compare.js" ids_special.jsonl ours_special.jsonl "ids with special tokens" corpus_head.jsonl || status=1
node "$here/compare.js" py_special.jsonl ours_special.jsonl "ids with special tokens vs the Python tokenizers package" corpus_head.jsonl || status=1
"$bin" --tokenizer "$tok" decode --jsonl <ids.jsonl >ours_decoded.jsonl
node "$here/compare.js" decoded.jsonl ours_decoded.jsonl "decode round trip" || status=1
"$bin" --tokenizer "$tok" decode --jsonl <slices.jsonl >ours_slices.jsonl
node "$here/compare.js" slices_decoded.jsonl ours_slices.jsonl "decode of cut id lists" || status=1
"$bin" --tokenizer "$tok" decode --jsonl --skip-special-tokens <slices.jsonl >ours_skip.jsonl
node "$here/compare.js" slices_skip.jsonl ours_skip.jsonl "decode skipping special tokens" || status=1
if [[ "$offsets" != no-offsets ]]; then
  "$bin" --tokenizer "$tok" encode --jsonl --offsets <corpus_head.jsonl >ours_offsets.jsonl
  node "$here/compare.js" offsets.jsonl ours_offsets.jsonl "ids and byte offsets" corpus_head.jsonl || status=1
fi
n=0
for f in invalid_*.bin; do
  got=$("$bin" --tokenizer "$tok" encode <"$f")
  want=$(cat "${f%.bin}.json")
  if [[ "$got" != "$want" ]]; then
    echo "invalid UTF-8 $f: expected $want got $got"
    status=1
  fi
  n=$((n + 1))
done
echo "invalid UTF-8: $n cases checked"
exit $status
