// tokenizer.json "post_processor": TemplateProcessing (single sequences), ByteLevel (offset
// trimming), RobertaProcessing / BertProcessing, Sequence. Special tokens added by a template get
// the offsets (0, 0), as in HF. Pairs of sequences are not supported (nothing here encodes pairs).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "json_node.hpp"

namespace skytrain::pipeline {

struct TokenStream {
  std::vector<uint32_t> ids;
  std::vector<std::pair<uint32_t, uint32_t>> offsets;  // may be empty when not wanted
  std::vector<uint8_t> leading_spaces, trailing_spaces;   // per token, only for offset trimming
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(TokenStream& ts, bool add_special_tokens) const = 0;
  // True when process() needs leading/trailing space counts of each token (ByteLevel trimming).
  virtual bool wants_spaces() const { return false; }
};

std::unique_ptr<PostProcessor> make_post_processor(const JsonNode& node);

}  // namespace skytrain::pipeline
