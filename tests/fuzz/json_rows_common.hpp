// The body of the JSON array and JSON Lines targets (json_array.cpp, jsonl.cpp), which differ
// only in the format they open: read every row of the input as a dataset file twice, with reads
// of 1 to 64 bytes (picked from the input, so rows straddle read boundaries) and with 64 KiB
// reads, and require the same rows; resume a reader from the first row's resume position; then
// standardize the good rows the way skytrain-import-dataset does (schema from the first rows).
#pragma once
#include <simdjson.h>

#include <vector>

#include "dataset/row_readers.hpp"
#include "fuzz_support.hpp"
#include "dataset/row_reader.hpp"
#include "dataset/standardize.hpp"

namespace skytrain::fuzz {

inline void fuzz_json_rows(const uint8_t* data, size_t size, pipeline::dataset::SourceFormat format) {
  using namespace pipeline::dataset;
  static MemFile file;
  static simdjson::dom::parser json;
  file.assign(data, size);
  auto open = [&](uint64_t start, uint64_t rows_before, size_t chunk) {
    return format == SourceFormat::jsonl ? open_json_lines_reader(file.path(), start, rows_before, chunk)
                                         : open_json_array_reader(file.path(), start, rows_before, chunk);
  };
  const size_t small_chunk = 1 + (size ^ (size ? data[0] : 0)) % 64;

  // Every row (status and text) until the end or the first fatal error (its message last).
  auto read_all = [&](size_t chunk, uint64_t& first_resume) {
    std::vector<std::pair<ReadStatus, std::string>> rows;
    first_resume = 0;
    try {
      auto r = open(0, 0, chunk);
      std::string row;
      for (ReadStatus s; (s = r->next(row)) != ReadStatus::end;) {
        rows.emplace_back(s, row);
        FUZZ_CHECK(r->resume_position() <= size);
        FUZZ_CHECK(r->rows_read() == rows.size());
        if (rows.size() == 1) first_resume = r->resume_position();
        FUZZ_CHECK(!row.empty());
        if (s == ReadStatus::row) {
          // A good row is a JSON object (the readers promise it; standardization relies on it).
          simdjson::dom::element doc;
          FUZZ_CHECK(!json.parse(row).get(doc) && doc.is_object());
        }
      }
    } catch (const Error& e) {
      FUZZ_CHECK(*e.what() != '\0');
      rows.emplace_back(ReadStatus::end, e.what());
    }
    return rows;
  };
  uint64_t first_resume = 0, unused = 0;
  const auto rows = read_all(small_chunk, first_resume);
  FUZZ_CHECK(read_all(64 << 10, unused) == rows);

  if (!rows.empty() && rows[0].first != ReadStatus::end) {
    expect_clear_errors([&] {
      auto r = open(first_resume, 1, small_chunk);
      std::string row;
      size_t more = 0;
      while (r->next(row) != ReadStatus::end) ++more;
      FUZZ_CHECK(r->rows_read() == 1 + more);
    });
  }

  std::vector<std::string> good;
  for (const auto& [s, row] : rows)
    if (s == ReadStatus::row) good.push_back(row);
  if (good.empty()) return;
  expect_clear_errors([&] {
    std::vector<std::string> head(good.begin(), good.begin() + std::min<size_t>(good.size(), 10));
    Standardizer st(detect_conversation_schema(head, "fuzz"));
    for (std::string& row : good) {
      std::string out;
      try {
        st.standardize(row, out);
      } catch (const BadRow&) {
        continue;
      }
      simdjson::dom::element doc;
      FUZZ_CHECK(!json.parse(out).get(doc) && doc.is_object());
    }
  });
}

}  // namespace skytrain::fuzz
