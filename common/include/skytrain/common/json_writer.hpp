// Minimal JSON output (simdjson only parses). Strings are escaped like Python's
// json.dumps(ensure_ascii=False): non-ASCII UTF-8 kept as is, control characters as \uXXXX.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain {

void json_escape_to(std::string& out, std::string_view s);       // appends "..." with quotes
void json_escape_body_to(std::string& out, std::string_view s);  // the same without the quotes
std::string json_quote(std::string_view s);

// Streaming writer that manages commas. Usage:
//   JsonWriter w; w.begin_object(); w.key("a"); w.value(1); w.end_object(); w.str();
class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  JsonWriter& raw(std::string_view json);  // an already-serialized JSON value
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  void newline();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
  bool pretty_;
};

}  // namespace skytrain
