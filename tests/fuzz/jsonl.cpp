// Fuzz target: a JSON Lines dataset file through the line reader, resume from a saved position,
// and standardization of its rows. Asserts what json_rows_common.hpp lists: the same rows
// whatever the read size, good rows are JSON objects, positions stay within the file, row counts
// add up across a resume, standardized rows are JSON objects, and bad input ends in
// skytrain::Error or a bad-row report.
#include "json_rows_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  skytrain::fuzz::fuzz_json_rows(data, size, skytrain::pipeline::dataset::SourceFormat::jsonl);
  return 0;
}
