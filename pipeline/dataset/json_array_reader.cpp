// JSON array files ("[{...}, {...}]", possibly pretty-printed): streamed element by element
// without loading the file. A small scanner finds each element's extent by tracking strings
// (with escapes) and bracket depth; the element is then copied without insignificant
// whitespace (so a pretty-printed row becomes one JSONL line with its tokens unchanged) and
// validated with simdjson's DOM parser. An element that parses badly is a bad row (its extent is
// known, reading can continue); a broken structure (missing ',' or ']', truncated file,
// unterminated string) is fatal. The resume position is the byte offset just after an element.
#include <simdjson.h>

#include <fmt/format.h>

#include "chunked_file.hpp"
#include "row_readers.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::dataset {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class JsonArrayReader final : public RowReader {
 public:
  JsonArrayReader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before, size_t read_chunk)
      : in_(file, start, read_chunk), rows_(rows_before), state_(start == 0 ? State::before_array : State::after_element) {}

  ReadStatus next(std::string& row) override {
    for (;;) {
      switch (state_) {
        case State::done:
          return ReadStatus::end;
        case State::before_array: {
          char c = peek_non_space();
          if (c == '\0') fail("{}: empty file, expected a JSON array", in_.path().string());
          if (c != '[')
            fail("{}: byte offset {}: expected '[' (a JSON array of rows), found {:?}", in_.path().string(), in_.offset(),
                 std::string(1, c));
          in_.consume(1);
          char d = peek_non_space();
          if (d == ']') {
            in_.consume(1);
            finish();
            return ReadStatus::end;
          }
          state_ = State::element;
          break;
        }
        case State::after_element: {
          char c = peek_non_space();
          if (c == ',') {
            in_.consume(1);
            state_ = State::element;
          } else if (c == ']') {
            in_.consume(1);
            finish();
            return ReadStatus::end;
          } else if (c == '\0') {
            fail("{}: byte offset {}: truncated JSON array (expected ',' or ']' after row {})", in_.path().string(),
                 in_.offset(), rows_ - 1);
          } else {
            fail("{}: byte offset {}: expected ',' or ']' after row {}, found {:?}", in_.path().string(), in_.offset(),
                 rows_ - 1, std::string(1, c));
          }
          break;
        }
        case State::element:
          return read_element(row);
      }
    }
  }

  uint64_t resume_position() const override { return in_.offset(); }
  uint64_t rows_read() const override { return rows_; }
  uint64_t bytes_read() const override { return in_.offset(); }

 private:
  enum class State { before_array, element, after_element, done };

  // Skips whitespace; returns the next byte without consuming it, or '\0' at end of file.
  char peek_non_space() {
    for (;;) {
      std::string_view v = in_.view();
      size_t i = 0;
      while (i < v.size() && is_space(v[i])) ++i;
      in_.consume(i);
      if (i < v.size()) return v[i];
      if (!in_.fill()) return '\0';
    }
  }

  void finish() {
    char c = peek_non_space();
    if (c != '\0')
      fail("{}: byte offset {}: unexpected data after the end of the JSON array", in_.path().string(), in_.offset());
    state_ = State::done;
  }

  // Length of the element at the start of the view, reading more as needed.
  size_t scan_element() {
    size_t i = 0;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (;;) {
      std::string_view v = in_.view();
      for (; i < v.size(); ++i) {
        char c = v[i];
        if (in_string) {
          if (escaped) {
            escaped = false;
          } else if (c == '\\') {
            escaped = true;
          } else if (c == '"') {
            in_string = false;
            if (depth == 0) return i + 1;
          }
          continue;
        }
        if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (depth == 0) return i;  // a scalar element ended by the array's ']'
          if (--depth == 0) return i + 1;
        } else if (depth == 0 && (c == ',' || is_space(c))) {
          return i;  // end of a scalar element
        }
      }
      if (!in_.fill())
        fail("{}: byte offset {}: truncated JSON array (row {} starting here is not terminated{})", in_.path().string(),
             in_.offset(), rows_, in_string ? ", inside a string" : "");
    }
  }

  ReadStatus read_element(std::string& row) {
    char first = peek_non_space();
    if (first == '\0' || first == ']' || first == ',')
      fail("{}: byte offset {}: expected a row after ','{}", in_.path().string(), in_.offset(),
           first == '\0' ? " (truncated JSON array)" : "");
    uint64_t offset = in_.offset();
    size_t len = scan_element();
    ++rows_;
    row.clear();
    json_compact_to(row, in_.view().substr(0, len));
    in_.consume(len);
    state_ = State::after_element;
    simdjson::dom::element doc;
    auto err = parser_.parse(row.data(), row.size(), true).get(doc);
    if (err) {
      row = fmt::format("{}: row {} (byte offset {}): malformed JSON: {}", in_.path().string(), rows_ - 1, offset,
                        simdjson::error_message(err));
      return ReadStatus::bad_row;
    }
    if (!doc.is_object()) {
      row = fmt::format("{}: row {} (byte offset {}): array element is not a JSON object", in_.path().string(), rows_ - 1, offset);
      return ReadStatus::bad_row;
    }
    return ReadStatus::row;
  }

  ChunkedFile in_;
  simdjson::dom::parser parser_;
  uint64_t rows_;
  State state_;
};

}  // namespace

std::unique_ptr<RowReader> open_json_array_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before,
                                                  size_t read_chunk) {
  return std::make_unique<JsonArrayReader>(file, start, rows_before, read_chunk);
}

}  // namespace skytrain::pipeline::dataset
