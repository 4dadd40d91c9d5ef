// A forward-only cursor over JSON text that has ALREADY been validated (simdjson DOM for JSON
// sources; the Parquet decoder's own output). It finds the extent of keys and values so that
// standardization can copy upstream JSON text as is, without building a DOM or re-serializing
// numbers. (simdjson's on-demand API would do this too, but the Debian build only offers its
// scalar fallback kernel for on-demand without -march flags; this byte loop is as fast and
// keeps the build portable.) Inconsistent text still raises an Error, never reads out of bounds.
#pragma once
#include <string>
#include <string_view>

namespace skytrain::pipeline::dataset {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view s) : s_(s) {}
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  // Next non-space byte ('\0' at the end), not consumed.
  char peek() {
    skip_space();
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  void expect(char c);
  // If the next byte is c, consumes it.
  bool accept(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  std::string_view string_token();  // "..." including quotes
  std::string_view value_token();   // any value, as its raw text
  size_t offset() const { return i_; }
  bool at_end() { return peek() == '\0'; }

  // The unescaped content of a string token (including its quotes).
  static std::string unescape(std::string_view token);
  // Raw text of a value token with insignificant whitespace removed, appended to out.
  static void append_compact(std::string& out, std::string_view token);

 private:
  [[noreturn]] void error(const char* what) const;
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace skytrain::pipeline::dataset
