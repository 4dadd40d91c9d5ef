// tokenizer.json "decoder": ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence.
// Each works like HF's decode_chain (a list of token strings in, a list out); the final text is
// the concatenation. ByteLevel ends with a lossy UTF-8 conversion (U+FFFD per maximal ill-formed
// subpart, as Rust's String::from_utf8_lossy).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "json_node.hpp"

namespace skytrain::pipeline {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  // True for a lone ByteLevel decoder (the tokenizer then decodes from precomputed bytes).
  virtual bool is_byte_level() const { return false; }
};

std::unique_ptr<Decoder> make_decoder(const JsonNode& node);

// String::from_utf8_lossy.
std::string utf8_lossy(std::string_view bytes);

}  // namespace skytrain::pipeline
