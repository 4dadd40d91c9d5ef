#include "rle_hybrid.hpp"

#include <cstring>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::parquet {

int bit_width_for(uint32_t max_value) {
  int w = 0;
  while (max_value) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

uint64_t read_packed_bits(const uint8_t* data, size_t data_size, size_t bit, int bit_width) {
  if (bit_width == 0) return 0;
  size_t byte = bit >> 3;
  int shift = static_cast<int>(bit & 7);
  // Fast path: a full 8-byte little-endian window is available and holds all the bits.
  if (byte + 8 <= data_size && shift + bit_width <= 64) {
    uint64_t w;
    std::memcpy(&w, data + byte, 8);
    w >>= shift;
    return bit_width == 64 ? w : (w & ((uint64_t{1} << bit_width) - 1));
  }
  uint64_t v = 0;
  int got = 0;
  while (got < bit_width) {
    uint64_t b = byte < data_size ? data[byte] : 0;
    b >>= shift;
    int take = 8 - shift;
    v |= b << got;
    got += take;
    shift = 0;
    ++byte;
  }
  return bit_width == 64 ? v : (v & ((uint64_t{1} << bit_width) - 1));
}

RleHybridDecoder::RleHybridDecoder(std::span<const uint8_t> data, int bit_width)
    : data_(data), width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) fail("RLE/bit-packed bit width {} out of range", bit_width);
}

bool RleHybridDecoder::next_run() {
  if (pos_ >= data_.size()) return false;
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= data_.size() || shift > 63) fail("truncated RLE/bit-packed run header");
    uint8_t b = data_[pos_++];
    header |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (header & 1) {
    uint64_t groups = header >> 1;
    uint64_t bytes = groups * static_cast<uint64_t>(width_);
    packed_ = true;
    remaining_ = groups * 8;
    packed_bit_ = pos_ * 8;
    // Writers may truncate the final bit-packed run to the bytes actually needed.
    pos_ = bytes > data_.size() - pos_ ? data_.size() : pos_ + bytes;
  } else {
    packed_ = false;
    remaining_ = header >> 1;
    size_t nbytes = (static_cast<size_t>(width_) + 7) / 8;
    if (nbytes > data_.size() - pos_) fail("truncated RLE run value");
    uint32_t v = 0;
    for (size_t i = 0; i < nbytes; ++i) v |= static_cast<uint32_t>(data_[pos_ + i]) << (8 * i);
    pos_ += nbytes;
    rle_value_ = v;
  }
  return true;
}

template <typename T>
void RleHybridDecoder::decode(T* out, size_t count) {
  size_t done = 0;
  const uint64_t max_value = width_ >= 32 ? UINT32_MAX : ((uint64_t{1} << width_) - 1);
  while (done < count) {
    if (remaining_ == 0) {
      if (!next_run()) fail("RLE/bit-packed data ends after {} of {} values", done, count);
      if (!packed_ && rle_value_ > max_value) fail("RLE run value wider than bit width {}", width_);
      if (!packed_ && sizeof(T) == 1 && rle_value_ > 255) fail("level value {} out of range", rle_value_);
      continue;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, count - done));
    if (!packed_) {
      T v = static_cast<T>(rle_value_);
      for (size_t i = 0; i < n; ++i) out[done + i] = v;
    } else {
      // Bits past the end of the data (a truncated final run) must not be read as values.
      size_t end_bit = (packed_bit_) + n * static_cast<size_t>(width_);
      if (end_bit > data_.size() * 8) fail("bit-packed run truncated");
      const uint8_t* d = data_.data();
      size_t sz = data_.size();
      size_t bit = packed_bit_;
      for (size_t i = 0; i < n; ++i, bit += static_cast<size_t>(width_)) {
        uint64_t v = read_packed_bits(d, sz, bit, width_);
        if (sizeof(T) == 1 && v > 255) fail("level value {} out of range", v);
        out[done + i] = static_cast<T>(v);
      }
      packed_bit_ = bit;
    }
    remaining_ -= n;
    done += n;
  }
}

template void RleHybridDecoder::decode<uint8_t>(uint8_t*, size_t);
template void RleHybridDecoder::decode<uint32_t>(uint32_t*, size_t);

}  // namespace skytrain::pipeline::parquet
