// Fuzz target: the Parquet footer alone. The input is the FileMetaData bytes; the target wraps
// them in a minimal file (PAR1, 64 bytes of data section, footer, length, PAR1) so every
// mutation lands in the Thrift footer, then opens it with ParquetReader: footer decoding, schema
// tree, leaf formats and row-group validation. Asserts that a bad footer ends in skytrain::Error
// and that an accepted one is self-consistent (column names exist, row counts non-negative).
#include <cstring>

#include "fuzz_support.hpp"
#include "skytrain/pipeline/parquet_reader.hpp"

using skytrain::pipeline::ParquetReader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static skytrain::fuzz::MemFile file;
  std::string bytes = "PAR1";
  bytes.append(64, '\0');
  bytes.append(reinterpret_cast<const char*>(data), size);
  uint32_t len = static_cast<uint32_t>(size);
  char le[4];
  std::memcpy(le, &len, 4);  // little-endian hosts only, like the reader
  bytes.append(le, 4);
  bytes += "PAR1";
  file.assign(bytes);
  skytrain::fuzz::expect_clear_errors([&] {
    ParquetReader r(file.path());
    FUZZ_CHECK(r.num_rows() >= 0);
    FUZZ_CHECK(r.num_row_groups() >= 0);
    for (const auto& name : r.column_names()) (void)name.size();
    std::string row;
    // The data section is zeros: at most the first page header is decoded.
    for (int i = 0; i < 16 && r.next_row(row); ++i) {
    }
  });
  return 0;
}
