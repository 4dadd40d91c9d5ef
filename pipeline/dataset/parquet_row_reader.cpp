// Parquet rows through ParquetReader (the decoder lives in pipeline/parquet/). The resume
// position is the row index in the file: a resumed read decodes and drops the rows before it
// (nothing is written for them), since Parquet row groups are not seekable to a row.
#include <fmt/format.h>

#include "row_readers.hpp"
#include "skytrain/pipeline/parquet_reader.hpp"

namespace skytrain::pipeline::dataset {

namespace {

class ParquetRowReader final : public RowReader {
 public:
  ParquetRowReader(const std::filesystem::path& file, uint64_t start_row, uint64_t rows_before)
      : reader_(file), rows_(rows_before) {
    std::string skip;
    for (uint64_t i = 0; i < start_row && reader_.next_row(skip); ++i) ++pos_;
  }

  ReadStatus next(std::string& row) override {
    if (!reader_.next_row(row)) return ReadStatus::end;
    ++pos_;
    ++rows_;
    return ReadStatus::row;
  }
  uint64_t resume_position() const override { return pos_; }
  uint64_t rows_read() const override { return rows_; }
  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  ParquetReader reader_;
  uint64_t pos_ = 0;
  uint64_t rows_;
};

}  // namespace

std::unique_ptr<RowReader> open_parquet_row_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before) {
  return std::make_unique<ParquetRowReader>(file, start, rows_before);
}

}  // namespace skytrain::pipeline::dataset
