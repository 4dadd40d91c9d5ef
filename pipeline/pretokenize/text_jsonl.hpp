// One line of a pretokenized shard's text.jsonl: {"text": <the rendered conversation>}\n.
//
// The line is what people (and other trainers) read, and its bytes are hashed into shard.json,
// so its escaping is json_escape_to's (Python's json.dumps(ensure_ascii=False)), fixed.
#pragma once
#include <string>
#include <string_view>

#include "skytrain/common/json_writer.hpp"

namespace skytrain::pipeline {

inline void append_text_jsonl_line(std::string& out, std::string_view text) {
  out += "{\"text\":";
  json_escape_to(out, text);
  out += "}\n";
}

}  // namespace skytrain::pipeline
