// Row readers: one per source file format, all yielding rows as JSON object text, in order,
// with bounded memory (a read buffer plus one row; for Parquet, one row group).
//
// Every row carries a resume position: an opaque number (a byte offset for the JSON formats, a
// row index for Parquet) that reopening the file with that position continues right after the
// row. The importer's journal stores it at each shard boundary, so a resumed run skips finished
// shards without re-reading them (Parquet re-decodes the skipped rows but writes nothing).
//
// Malformed input comes in two kinds. A row that is not valid JSON (or not an object) but whose
// extent is known (a JSONL line, a balanced array element) is reported as a bad row with its
// file, line/element number and byte offset, and reading can go on (--skip-bad-rows). Input
// whose structure is broken (truncated array, unterminated string, corrupt Parquet) is fatal:
// next() throws an Error naming the file and byte offset.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace skytrain::pipeline::dataset {

enum class SourceFormat { parquet, jsonl, json_array };
const char* format_name(SourceFormat f);

// By content (Parquet magic "PAR1", first non-space byte '[' or '{'), then by extension.
SourceFormat detect_format(const std::filesystem::path& file);

enum class ReadStatus { row, bad_row, end };

class RowReader {
 public:
  virtual ~RowReader() = default;
  // row: the row's JSON text (valid, an object), or for bad_row the reason (with location).
  virtual ReadStatus next(std::string& row) = 0;
  // Position just after the last row returned (row or bad_row); pass to open_row_reader to resume.
  virtual uint64_t resume_position() const = 0;
  // Rows (good and bad) returned so far, counting those skipped by resuming.
  virtual uint64_t rows_read() const = 0;
  // Bytes of the file consumed so far (for progress), approximately.
  virtual uint64_t bytes_read() const = 0;
};

// Opens `file`. With resume_position/rows_before from an earlier reader, continues there.
std::unique_ptr<RowReader> open_row_reader(const std::filesystem::path& file, SourceFormat format,
                                           uint64_t resume_position = 0, uint64_t rows_before = 0);

// Copies JSON text without insignificant whitespace (outside strings); bytes of tokens kept.
void json_compact_to(std::string& out, std::string_view json);

}  // namespace skytrain::pipeline::dataset
