// tokenizer.json "normalizer": NFC/NFD/NFKC/NFKD, Lowercase, Strip, Prepend, Replace, Sequence.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json_node.hpp"
#include "text_pieces.hpp"

namespace skytrain::pipeline {

// Replace bytes [begin, end) of a segment with `text` (end == begin: an insertion).
struct TextEdit {
  size_t begin, end;
  std::string text;
};
// Applies sorted, non-overlapping edits, keeping the map to the original input: rewritten bytes
// map to the whole original range they replaced (inserted ones to the neighbouring character).
void apply_edits(Segment& s, const std::vector<TextEdit>& edits);

class Regex;
// Parses a tokenizer.json pattern object: {"String": s} (literal) or {"Regex": r}.
void parse_pattern(const JsonNode& pattern, std::string& literal, std::unique_ptr<Regex>& re);

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(Segment& s) const = 0;
  std::string normalize_string(std::string_view text) const;
};

// `node` is the "normalizer" value (not null). Unknown types fail naming the JSON path.
std::unique_ptr<Normalizer> make_normalizer(const JsonNode& node);

}  // namespace skytrain::pipeline
