// Decoded values of one page (or one dictionary), in one of three typed arrays by physical
// type: integers (BOOLEAN, INT32, INT64, widened to int64), reals (FLOAT widened to double,
// DOUBLE), and byte strings (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96) as views. The views
// point into the page's decompressed buffer, the dictionary's buffer, or `arena` (for
// DELTA_BYTE_ARRAY, whose values are rebuilt from prefixes); whoever owns the PageValues keeps
// those buffers alive as long as the values are used.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "file_metadata.hpp"

namespace skytrain::pipeline::parquet {

struct PageValues {
  std::vector<int64_t> ints;
  std::vector<double> reals;
  std::vector<std::string_view> bytes;
  std::string arena;

  void clear() {
    ints.clear();
    reals.clear();
    bytes.clear();
    arena.clear();
  }
  size_t size() const { return ints.size() + reals.size() + bytes.size(); }
};

// Value decoders. Each appends exactly `count` values of `type` to `out`, or throws
// skytrain::Error with a plain message (the column reader adds file, column and offset).
void decode_plain(std::span<const uint8_t> data, PhysicalType type, int type_length, size_t count, PageValues& out);
void decode_rle_booleans(std::span<const uint8_t> data, size_t count, PageValues& out);
void decode_byte_stream_split(std::span<const uint8_t> data, PhysicalType type, int type_length, size_t count,
                              PageValues& out);
void decode_delta_binary_packed(std::span<const uint8_t> data, PhysicalType type, size_t count, PageValues& out);
void decode_delta_length_byte_array(std::span<const uint8_t> data, size_t count, PageValues& out);
void decode_delta_byte_array(std::span<const uint8_t> data, size_t count, PageValues& out);

// Dictionary indices -> values: appends dict[idx[i]] for each index (bounds-checked).
void gather_dictionary(const PageValues& dict, std::span<const uint32_t> idx, PageValues& out);

// DELTA_BINARY_PACKED core: appends exactly `count` values to `out` (wrapping 64-bit
// arithmetic; INT32 columns truncate afterwards) and returns the bytes consumed.
size_t decode_delta_ints(std::span<const uint8_t> data, size_t count, std::vector<int64_t>& out);

}  // namespace skytrain::pipeline::parquet
