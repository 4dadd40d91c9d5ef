// The DELTA encodings of Parquet v2 pages (written by DuckDB with PARQUET_VERSION v2, Spark,
// Arrow): DELTA_BINARY_PACKED stores integers as a first value plus blocks of bit-packed
// deltas above a per-block minimum; DELTA_LENGTH_BYTE_ARRAY stores all string lengths that way
// followed by the concatenated bytes; DELTA_BYTE_ARRAY stores (shared prefix length, suffix)
// pairs, both through the former two. Arithmetic wraps modulo 2^64 as the spec requires
// (INT32 columns are truncated afterwards, which is the same modulo 2^32).
#include "page_values.hpp"
#include "rle_hybrid.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::parquet {

namespace {

uint64_t read_uvarint(std::span<const uint8_t> d, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= d.size() || shift > 63) fail("truncated DELTA_BINARY_PACKED header");
    uint8_t b = d[pos++];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
}

int64_t read_zigzag(std::span<const uint8_t> d, size_t& pos) {
  uint64_t v = read_uvarint(d, pos);
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace

size_t decode_delta_ints(std::span<const uint8_t> data, size_t count, std::vector<int64_t>& out) {
  size_t pos = 0;
  uint64_t block_size = read_uvarint(data, pos);
  uint64_t miniblocks = read_uvarint(data, pos);
  uint64_t total = read_uvarint(data, pos);
  uint64_t last = static_cast<uint64_t>(read_zigzag(data, pos));
  if (block_size == 0 || block_size % 128 != 0 || miniblocks == 0 || block_size % miniblocks != 0 ||
      (block_size / miniblocks) % 32 != 0 || block_size > (1u << 20)) {
    fail("DELTA_BINARY_PACKED header has block size {} with {} miniblocks", block_size, miniblocks);
  }
  if (total != count) fail("DELTA_BINARY_PACKED holds {} values where {} were expected", total, count);
  if (count == 0) return pos;
  const uint64_t per_mini = block_size / miniblocks;
  out.reserve(out.size() + count);
  out.push_back(static_cast<int64_t>(last));
  uint64_t remaining = count - 1;
  while (remaining > 0) {
    uint64_t min_delta = static_cast<uint64_t>(read_zigzag(data, pos));
    if (miniblocks > data.size() - pos) fail("truncated DELTA_BINARY_PACKED block");
    const uint8_t* widths = data.data() + pos;
    pos += miniblocks;
    for (uint64_t m = 0; m < miniblocks && remaining > 0; ++m) {
      int w = widths[m];
      if (w > 64) fail("DELTA_BINARY_PACKED miniblock bit width {} exceeds 64", w);
      uint64_t bytes = per_mini * static_cast<uint64_t>(w) / 8;
      if (bytes > data.size() - pos) fail("truncated DELTA_BINARY_PACKED miniblock");
      uint64_t n = std::min(per_mini, remaining);
      const uint8_t* mb = data.data() + pos;
      for (uint64_t i = 0; i < n; ++i) {
        last += min_delta + read_packed_bits(mb, bytes, i * static_cast<uint64_t>(w), w);
        out.push_back(static_cast<int64_t>(last));
      }
      pos += bytes;
      remaining -= n;
    }
  }
  return pos;
}

void decode_delta_binary_packed(std::span<const uint8_t> data, PhysicalType type, size_t count, PageValues& out) {
  if (type != PhysicalType::Int32 && type != PhysicalType::Int64) {
    fail("DELTA_BINARY_PACKED is only defined for INT32 and INT64");
  }
  size_t old = out.ints.size();
  decode_delta_ints(data, count, out.ints);
  if (type == PhysicalType::Int32) {
    for (size_t i = old; i < out.ints.size(); ++i) out.ints[i] = static_cast<int32_t>(static_cast<uint32_t>(out.ints[i]));
  }
}

void decode_delta_length_byte_array(std::span<const uint8_t> data, size_t count, PageValues& out) {
  std::vector<int64_t> lengths;
  size_t pos = decode_delta_ints(data, count, lengths);
  out.bytes.reserve(out.bytes.size() + count);
  for (size_t i = 0; i < count; ++i) {
    int64_t len = lengths[i];
    if (len < 0 || static_cast<uint64_t>(len) > data.size() - pos) {
      fail("DELTA_LENGTH_BYTE_ARRAY value {} of length {} runs past the page end", i, len);
    }
    out.bytes.emplace_back(reinterpret_cast<const char*>(data.data() + pos), static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
}

void decode_delta_byte_array(std::span<const uint8_t> data, size_t count, PageValues& out) {
  std::vector<int64_t> prefixes;
  size_t pos = decode_delta_ints(data, count, prefixes);
  PageValues suffixes;
  decode_delta_length_byte_array(data.subspan(pos), count, suffixes);
  // Size the arena first so the views we hand out never move.
  uint64_t total = 0;
  int64_t prev_len = 0;
  for (size_t i = 0; i < count; ++i) {
    if (prefixes[i] < 0 || prefixes[i] > prev_len) {
      fail("DELTA_BYTE_ARRAY value {} has prefix length {} but the previous value has {} bytes", i, prefixes[i], prev_len);
    }
    prev_len = prefixes[i] + static_cast<int64_t>(suffixes.bytes[i].size());
    total += static_cast<uint64_t>(prev_len);
  }
  if (!out.arena.empty()) fail("internal: DELTA_BYTE_ARRAY output arena in use");
  out.arena.reserve(total);
  std::string_view prev;
  out.bytes.reserve(out.bytes.size() + count);
  for (size_t i = 0; i < count; ++i) {
    size_t start = out.arena.size();
    out.arena.append(prev.substr(0, static_cast<size_t>(prefixes[i])));
    out.arena.append(suffixes.bytes[i]);
    prev = std::string_view(out.arena.data() + start, out.arena.size() - start);
    out.bytes.push_back(prev);
  }
}

}  // namespace skytrain::pipeline::parquet
