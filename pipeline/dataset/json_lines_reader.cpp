// JSON Lines: one JSON object per line. Lines are found by scanning for '\n' in a buffered
// window, then each line is validated with simdjson's DOM parser (which checks the whole
// grammar and UTF-8, unlike on-demand parsing that only validates what it visits). Blank lines
// are skipped, a trailing '\r' is tolerated. The resume position is the byte offset after a line.
#include <simdjson.h>

#include <fmt/format.h>

#include "chunked_file.hpp"
#include "row_readers.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::dataset {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class JsonLinesReader final : public RowReader {
 public:
  JsonLinesReader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before, size_t read_chunk)
      : in_(file, start, read_chunk), rows_(rows_before) {}

  ReadStatus next(std::string& row) override {
    for (;;) {
      std::string_view v = in_.view();
      size_t nl = v.find('\n');
      while (nl == std::string_view::npos && !in_.eof()) {
        size_t scanned = v.size();
        in_.fill();
        v = in_.view();
        nl = v.find('\n', scanned);
      }
      if (v.empty()) return ReadStatus::end;
      size_t len = nl == std::string_view::npos ? v.size() : nl;
      uint64_t line_offset = in_.offset();
      std::string_view line = v.substr(0, len);
      while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
      size_t lead = 0;
      while (lead < line.size() && is_space(line[lead])) ++lead;
      line.remove_prefix(lead);
      if (line.empty()) {
        in_.consume(nl == std::string_view::npos ? len : len + 1);
        continue;
      }
      ++rows_;
      simdjson::dom::element doc;
      auto err = parser_.parse(line.data(), line.size(), true).get(doc);
      if (err) {
        row = fmt::format("{}: row {} (byte offset {}): malformed JSON: {}", in_.path().string(), rows_ - 1,
                          line_offset + lead, simdjson::error_message(err));
      } else if (!doc.is_object()) {
        row = fmt::format("{}: row {} (byte offset {}): a JSON Lines row must be an object", in_.path().string(), rows_ - 1,
                          line_offset + lead);
        err = simdjson::INCORRECT_TYPE;
      } else {
        row.assign(line);
      }
      in_.consume(nl == std::string_view::npos ? len : len + 1);
      return err ? ReadStatus::bad_row : ReadStatus::row;
    }
  }

  uint64_t resume_position() const override { return in_.offset(); }
  uint64_t rows_read() const override { return rows_; }
  uint64_t bytes_read() const override { return in_.offset(); }

 private:
  ChunkedFile in_;
  simdjson::dom::parser parser_;
  uint64_t rows_;
};

}  // namespace

std::unique_ptr<RowReader> open_json_lines_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before,
                                                  size_t read_chunk) {
  return std::make_unique<JsonLinesReader>(file, start, rows_before, read_chunk);
}

}  // namespace skytrain::pipeline::dataset
