// One line of a pretokenized shard's text.jsonl: {"text": <the rendered conversation>}\n.
//
// The line is what people (and other trainers) read, and its bytes are hashed into shard.json, so
// it must stay byte-identical to what skytrain::json_escape_to has always produced. This version
// exists for speed only: rendered conversations are long runs of plain text with a few newlines
// and quotes, so it copies each run with one append instead of pushing byte by byte.
#pragma once
#include <string>
#include <string_view>

namespace skytrain::pipeline {

// Appends `{"text":"..."}\n` to `out`, escaping exactly as json_escape_to does.
void append_text_jsonl_line(std::string& out, std::string_view text);

}  // namespace skytrain::pipeline
