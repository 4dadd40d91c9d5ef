// Factories of the per-format RowReader implementations (see row_reader.hpp).
#pragma once
#include "row_reader.hpp"

namespace skytrain::pipeline::dataset {

// `read_chunk` is the size of each read (see ChunkedFile); the fuzz targets make it tiny, so that
// rows and tokens straddle read boundaries, and cheap, since the buffer is allocated per reader.
std::unique_ptr<RowReader> open_json_lines_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before,
                                                  size_t read_chunk = 4 << 20);
std::unique_ptr<RowReader> open_json_array_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before,
                                                  size_t read_chunk = 4 << 20);
std::unique_ptr<RowReader> open_parquet_row_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before);

}  // namespace skytrain::pipeline::dataset
