// Fuzz target: a whole Parquet file, end to end. Feeds the input as a file to ParquetReader
// (footer, schema, every row group's pages through decompression, level and value decoding and
// record assembly) and reads every row; a second reader skips rows then reads on. Asserts that
// bad files end in skytrain::Error, that every row is a JSON object as promised, and that the
// reader never returns more rows than the footer declares.
#include <simdjson.h>

#include "fuzz_support.hpp"
#include "skytrain/pipeline/parquet_reader.hpp"

using skytrain::pipeline::ParquetReader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static skytrain::fuzz::MemFile file;
  static simdjson::dom::parser json;
  file.assign(data, size);
  skytrain::fuzz::expect_clear_errors([&] {
    ParquetReader r(file.path());
    (void)r.column_names();
    std::string row;
    int64_t rows = 0;
    // Stop early on files that declare huge row counts of empty rows: the cost is the fuzzer's
    // time, not a bug (every row is still bounded by the row group's pages).
    while (rows < 100000 && r.next_row(row)) {
      ++rows;
      FUZZ_CHECK(rows <= r.num_rows());
      simdjson::dom::element doc;
      FUZZ_CHECK(!json.parse(row).get(doc));
      FUZZ_CHECK(doc.is_object());
    }
  });
  skytrain::fuzz::expect_clear_errors([&] {
    ParquetReader r(file.path());
    int64_t skipped = r.skip_rows(size % 7);
    FUZZ_CHECK(skipped >= 0 && skipped <= r.num_rows());
    std::string row;
    for (int i = 0; i < 1000 && r.next_row(row); ++i) {
    }
  });
  return 0;
}
