// Whole files read straight into simdjson's padded buffer.
//
// `simdjson::padded_string(read_file(p))` touches every byte three times (zero-fill, read, copy);
// for an 11 MB tokenizer.json that was a fifth of the tokenizer's load time on a VM where first
// touches of fresh memory are expensive. This reads once, into the buffer the parser will use.
#pragma once
#include <simdjson.h>

#include <filesystem>

namespace skytrain {

// Fails (naming the file) when it cannot be opened or read, or changes size while being read.
simdjson::padded_string read_json_file(const std::filesystem::path& p);

}  // namespace skytrain
