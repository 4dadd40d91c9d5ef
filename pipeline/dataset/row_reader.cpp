// Format detection and the reader factory.
#include "row_reader.hpp"

#include <fcntl.h>

#include "row_readers.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"

namespace skytrain::pipeline::dataset {

const char* format_name(SourceFormat f) {
  switch (f) {
    case SourceFormat::parquet: return "parquet";
    case SourceFormat::jsonl: return "jsonl";
    case SourceFormat::json_array: return "json-array";
  }
  return "?";
}

SourceFormat detect_format(const std::filesystem::path& file) {
  UniqueFd fd = open_or_fail(file, O_RDONLY);
  char head[4096];
  size_t n = pread_full(fd.get(), head, sizeof head, 0, file);
  if (n >= 4 && std::string_view(head, 4) == "PAR1") return SourceFormat::parquet;
  size_t i = 0;
  if (n >= 3 && std::string_view(head, 3) == "\xEF\xBB\xBF")
    fail("{}: byte offset 0: UTF-8 byte order mark; remove it (JSON must not start with a BOM)", file.string());
  while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
  if (i < n && head[i] == '[') return SourceFormat::json_array;
  if (i < n && head[i] == '{') return SourceFormat::jsonl;
  std::string ext = file.extension().string();
  if (ext == ".parquet") {
    fail("{}: byte offset 0: not a Parquet file (no PAR1 magic)", file.string());
  }
  if (n == 0) return SourceFormat::jsonl;  // an empty JSON Lines file has no rows
  fail("{}: byte offset {}: unrecognized format (expected Parquet, JSON Lines or a JSON array)", file.string(), i);
}

std::unique_ptr<RowReader> open_row_reader(const std::filesystem::path& file, SourceFormat format, uint64_t resume_position,
                                           uint64_t rows_before) {
  switch (format) {
    case SourceFormat::parquet: return open_parquet_row_reader(file, resume_position, rows_before);
    case SourceFormat::jsonl: return open_json_lines_reader(file, resume_position, rows_before);
    case SourceFormat::json_array: return open_json_array_reader(file, resume_position, rows_before);
  }
  fail("unknown source format");
}

void json_compact_to(std::string& out, std::string_view json) {
  bool in_string = false, escaped = false;
  size_t run = 0;  // start of the current run of kept bytes
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      out.append(json.substr(run, i - run));
      run = i + 1;
    }
  }
  out.append(json.substr(run));
}

}  // namespace skytrain::pipeline::dataset
