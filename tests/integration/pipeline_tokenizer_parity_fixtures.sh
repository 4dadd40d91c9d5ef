#!/usr/bin/env bash
# Tokenizer parity with the HF tokenizers library for the pipelines the real Qwen/Llama-3 files do
# not use, on small fixtures (tests/parity/tokenizer/make_fixtures.js): Llama-2 style (Prepend +
# Replace normalizers, byte_fallback, fused unk, Replace/ByteFallback/Fuse/Strip decoders,
# TemplateProcessing), Metaspace (prepend_scheme first, split; NFKC; added tokens with
# lstrip/rstrip/single_word/normalized), GPT-2 style (ByteLevel add_prefix_space/use_regex/
# trim_offsets after Split behaviors and Digits; [a, b] merges), and the split patterns of
# DeepSeek-V3 (three Splits, CJK ranges, \p{P}\p{S}\p{M}) and GPT-4o/o200k (letter-case classes,
# optional case-insensitive contractions) in front of a byte-level model.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
export SKYTRAIN_BUILD SKYTRAIN_SRC
P=$SKYTRAIN_SRC/tests/parity/tokenizer
check "Llama-2 style fixture parity" bash "$P/run_parity.sh" "$P/fixtures/llama2_style.json" "$T/llama2" 0.5
check "Metaspace fixture parity" bash "$P/run_parity.sh" "$P/fixtures/metaspace_style.json" "$T/metaspace" 0.5
# Offsets are not compared here: a space inserted by add_prefix_space gets different offsets
# after trim_offsets (documented difference; ids are compared).
check "GPT-2 style fixture parity" bash "$P/run_parity.sh" "$P/fixtures/gpt2_style.json" "$T/gpt2" 0.5 no-offsets
check "DeepSeek-V3 pattern parity" bash "$P/run_parity.sh" "$P/fixtures/deepseek_style.json" "$T/deepseek" 0.5
check "GPT-4o (o200k) pattern parity" bash "$P/run_parity.sh" "$P/fixtures/o200k_style.json" "$T/o200k" 0.5
echo "pipeline_tokenizer_parity_fixtures: all ids, decodes and offsets equal"
