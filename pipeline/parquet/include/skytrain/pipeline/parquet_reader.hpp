// Streaming Parquet reader: rows come out one at a time as JSON objects; memory is bounded by
// one row group (one compressed column chunk plus one decoded page per leaf column), never the
// whole file. Written for skytrain (no Arrow/Parquet library is packaged in Debian 12); the
// mechanism is described in pipeline/parquet/parquet_reader.cpp and the files beside it.
//
// Supported: data pages v1 and v2, dictionary pages; PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY,
// RLE (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
// BYTE_STREAM_SPLIT; UNCOMPRESSED, SNAPPY, GZIP, ZSTD; every physical type (INT96 as a
// timestamp); nested LIST (3-level and legacy 2-level), MAP and STRUCT with nulls at every level.
// Values print as DuckDB prints them (see parquet/json_values.hpp). Not supported, each a clear
// error: LZ4/LZO/BROTLI codecs, BIT_PACKED levels, encrypted footers, external column chunks.
//
// After next_row() throws, the reader's position is undefined: discard it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace skytrain::pipeline {

class ParquetReader {
 public:
  // Reads and validates the footer; errors name the file and byte offset.
  explicit ParquetReader(const std::filesystem::path& file);
  ~ParquetReader();
  ParquetReader(ParquetReader&&) noexcept;
  ParquetReader& operator=(ParquetReader&&) noexcept;

  int64_t num_rows() const;
  int num_row_groups() const;
  std::vector<std::string> column_names() const;  // top-level fields, in schema order

  // Next row as a JSON object with the top-level fields in schema order: strings (UTF8/binary
  // as UTF-8), numbers, booleans, null, lists as arrays, structs as objects, maps as objects.
  // Returns false at the end of the file.
  // The string is cleared first. Throws skytrain::Error naming the file, column path, row
  // group and byte offset on corrupt data or an unsupported encoding/codec/type.
  bool next_row(std::string& json_out);

  // Skips up to n rows (fewer at the end of the file) and returns how many were skipped.
  // Whole row groups are skipped without being read, so resuming deep into a file is cheap.
  int64_t skip_rows(int64_t n);

  // Progress: rows returned (or skipped) so far, the file's size, and the compressed column-chunk bytes
  // read so far (reaches about file_size() minus the footer at the end).
  int64_t rows_read() const;
  uint64_t file_size() const;
  uint64_t bytes_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::pipeline
