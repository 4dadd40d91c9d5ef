// tokenizer.json "pre_tokenizer": Split, ByteLevel, Metaspace, Digits, Sequence.
//
// ByteLevel is special-cased: instead of rewriting every byte into its printable stand-in
// character (GPT-2's bytes_to_unicode) and then looking those strings up, the pieces stay raw
// bytes and the BPE model uses a vocabulary keyed by the raw bytes the tokens stand for. That is
// exact as long as ByteLevel is the last pre-tokenizer (only the model sees its output), which is
// how every byte-level tokenizer.json is built; anything else is rejected at load time.
#pragma once
#include <memory>
#include <string_view>

#include "json_node.hpp"
#include "text_pieces.hpp"

namespace skytrain::pipeline {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(PieceList& pl) const = 0;
};

// The GPT-2 split pattern used by ByteLevel(use_regex=true).
extern const std::string_view kGpt2Pattern;

// `node` is the "pre_tokenizer" value (not null). Sets `byte_level` when the pipeline ends in
// ByteLevel (the model then works on raw bytes).
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonNode& node, bool& byte_level);

}  // namespace skytrain::pipeline
