// Streaming Parquet reader: rows come out one at a time as JSON objects; memory is bounded by
// one row group (one column chunk at a time where possible), never the whole file.
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

  // Progress: rows returned so far, the file's size, and the compressed column-chunk bytes
  // read so far (reaches about file_size() minus the footer at the end).
  int64_t rows_read() const;
  uint64_t file_size() const;
  uint64_t bytes_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::pipeline
