#!/usr/bin/env bash
# Tokenizer parity with the HF tokenizers library (npm tokenizers@0.23.2): the real Qwen3 and
# Llama-3 tokenizer.json files over the edge-case corpus plus 10 MB of generated mixed text
# (made at test time, deterministic), and three small fixtures for the other pipelines
# (Llama-2 style byte fallback, Metaspace, GPT-2 style ByteLevel). Every id, every decode, and
# the byte offsets must be equal. See tests/parity/tokenizer/run_parity.sh.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
P=$SKYTRAIN_SRC/tests/parity/tokenizer
M=$SKYTRAIN_SRC/tests/node/node_modules/@lenml
export SKYTRAIN_BUILD SKYTRAIN_SRC

# The Llama-3 file in @lenml has only the ByteLevel post-processor; Meta's own tokenizer.json also
# prepends <|begin_of_text|> with TemplateProcessing. Test that layout too.
jq '.post_processor = {"type":"Sequence","processors":[.post_processor,
  {"type":"TemplateProcessing",
   "single":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
   "pair":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
           {"SpecialToken":{"id":"<|begin_of_text|>","type_id":1}},{"Sequence":{"id":"B","type_id":1}}],
   "special_tokens":{"<|begin_of_text|>":{"id":"<|begin_of_text|>","ids":[128000],"tokens":["<|begin_of_text|>"]}}}]}' \
  "$M/tokenizer-llama3/models/tokenizer.json" >"$T/llama3_template.json"

check "Qwen3 parity (10 MB)" bash "$P/run_parity.sh" "$M/tokenizer-qwen3/models/tokenizer.json" "$T/qwen3" 10
check "Llama-3 parity (10 MB, TemplateProcessing)" bash "$P/run_parity.sh" "$T/llama3_template.json" "$T/llama3" 10
check "Llama-2 style fixture parity" bash "$P/run_parity.sh" "$P/fixtures/llama2_style.json" "$T/llama2" 1
check "Metaspace fixture parity" bash "$P/run_parity.sh" "$P/fixtures/metaspace_style.json" "$T/metaspace" 1
check "GPT-2 style fixture parity" bash "$P/run_parity.sh" "$P/fixtures/gpt2_style.json" "$T/gpt2" 1 no-offsets
echo "pipeline_tokenizer_parity: all ids, decodes and offsets equal"
