// JSON in and out of template values.
//
// In: a render context arrives as JSON (simdjson DOM parse), becoming the values Python's
// json.loads would give (ints stay ints, "1.0" stays a float, objects keep key order; a repeated
// key keeps its first position and last value, as in a Python dict).
// Out: the `tojson` filter is transformers' override, json.dumps(x, ensure_ascii=False,
// indent=None, separators=None, sort_keys=False) with all four passable from the template, so the
// output follows json.dumps exactly: ", " and ": " separators (or "," with an indent), floats as
// repr(), non-ASCII kept raw unless ensure_ascii, "Infinity"/"NaN".
#pragma once
#include <string>
#include <string_view>

#include "value.hpp"

namespace simdjson::dom {
class element;
}

namespace skytrain::pipeline::jinja {

// Throws skytrain::Error naming the byte offset / key path on malformed JSON.
Value parse_json_value(std::string_view json, const std::string& what);
// The same conversion for an element parsed already; `what` names it in errors.
Value json_element_value(const simdjson::dom::element& el, const std::string& what);

struct JsonDumpOptions {
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool has_indent = false;
  std::string indent;  // per level, when has_indent
  std::string item_sep = ", ";
  std::string key_sep = ": ";
};

void json_dump(std::string& out, const Value& v, const JsonDumpOptions& opt);

}  // namespace skytrain::pipeline::jinja
