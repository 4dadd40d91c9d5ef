// Parquet's RLE / bit-packed hybrid encoding, used for repetition and definition levels,
// dictionary indices and (in v2 pages) booleans. The stream is a sequence of runs, each
// introduced by a varint header: an even header is a repeated run (count = header >> 1, then
// the value in ceil(width/8) little-endian bytes); an odd header is a bit-packed run of
// (header >> 1) groups of 8 values, packed LSB first. Runs may end early in the last group
// (writers pad), so the decoder stops at the requested count, not at the end of a run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace skytrain::pipeline::parquet {

class RleHybridDecoder {
 public:
  // bit_width 0..32. Errors are plain messages (callers add file/column/offset context).
  RleHybridDecoder(std::span<const uint8_t> data, int bit_width);

  // Decodes exactly `count` values; throws skytrain::Error if the data runs out or a value
  // is wider than the bit width allows.
  template <typename T>
  void decode(T* out, size_t count);

  size_t position() const { return pos_; }

 private:
  bool next_run();
  std::span<const uint8_t> data_;
  int width_;
  size_t pos_ = 0;
  // current run
  bool packed_ = false;
  uint64_t remaining_ = 0;  // values left in the run
  uint32_t rle_value_ = 0;
  size_t packed_bit_ = 0;  // bit position within data_ of the next packed value
};

extern template void RleHybridDecoder::decode<uint8_t>(uint8_t*, size_t);
extern template void RleHybridDecoder::decode<uint32_t>(uint32_t*, size_t);

// Bit width needed for values up to max_value (0 for 0).
int bit_width_for(uint32_t max_value);

// Reads `bit_width` bits at bit offset `bit` of `data` (LSB-first packing); the caller has
// checked that the bits are in range. bit_width <= 32... up to 64 when reading 64-bit deltas.
uint64_t read_packed_bits(const uint8_t* data, size_t data_size, size_t bit, int bit_width);

}  // namespace skytrain::pipeline::parquet
