// Factories of the per-format RowReader implementations (see row_reader.hpp).
#pragma once
#include "skytrain/pipeline/dataset/row_reader.hpp"

namespace skytrain::pipeline::dataset {

std::unique_ptr<RowReader> open_json_lines_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before);
std::unique_ptr<RowReader> open_json_array_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before);
std::unique_ptr<RowReader> open_parquet_row_reader(const std::filesystem::path& file, uint64_t start, uint64_t rows_before);

}  // namespace skytrain::pipeline::dataset
