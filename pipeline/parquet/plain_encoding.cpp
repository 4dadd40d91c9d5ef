// PLAIN, RLE (booleans), BYTE_STREAM_SPLIT and dictionary gathering: the encodings that store
// values at fixed positions. PLAIN is little-endian fixed width (booleans bit-packed LSB
// first), BYTE_ARRAY is a 4-byte length then the bytes. BYTE_STREAM_SPLIT stores byte k of
// every value in stream k, which compresses floats better; it is cheap to undo, so we support it.
#include <cstring>

#include "page_values.hpp"
#include "rle_hybrid.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::parquet {

namespace {

template <typename T>
T load_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

size_t fixed_width(PhysicalType type, int type_length) {
  switch (type) {
    case PhysicalType::Int32:
    case PhysicalType::Float: return 4;
    case PhysicalType::Int64:
    case PhysicalType::Double: return 8;
    case PhysicalType::Int96: return 12;
    case PhysicalType::FixedLenByteArray:
      if (type_length <= 0) fail("FIXED_LEN_BYTE_ARRAY with type_length {}", type_length);
      return static_cast<size_t>(type_length);
    default: return 0;
  }
}

void need(std::span<const uint8_t> data, size_t bytes, size_t count, const char* what) {
  if (bytes > data.size()) fail("{} data holds {} bytes, {} values need {}", what, data.size(), count, bytes);
}

}  // namespace

void decode_plain(std::span<const uint8_t> data, PhysicalType type, int type_length, size_t count, PageValues& out) {
  const uint8_t* p = data.data();
  switch (type) {
    case PhysicalType::Boolean: {
      need(data, (count + 7) / 8, count, "PLAIN BOOLEAN");
      out.ints.reserve(out.ints.size() + count);
      for (size_t i = 0; i < count; ++i) out.ints.push_back((p[i >> 3] >> (i & 7)) & 1);
      return;
    }
    case PhysicalType::Int32: {
      need(data, count * 4, count, "PLAIN INT32");
      out.ints.reserve(out.ints.size() + count);
      for (size_t i = 0; i < count; ++i) out.ints.push_back(load_le<int32_t>(p + 4 * i));
      return;
    }
    case PhysicalType::Int64: {
      need(data, count * 8, count, "PLAIN INT64");
      size_t old = out.ints.size();
      out.ints.resize(old + count);
      if (count > 0) std::memcpy(out.ints.data() + old, p, count * 8);  // (null data() when empty)
      return;
    }
    case PhysicalType::Float: {
      need(data, count * 4, count, "PLAIN FLOAT");
      out.reals.reserve(out.reals.size() + count);
      for (size_t i = 0; i < count; ++i) out.reals.push_back(load_le<float>(p + 4 * i));
      return;
    }
    case PhysicalType::Double: {
      need(data, count * 8, count, "PLAIN DOUBLE");
      size_t old = out.reals.size();
      out.reals.resize(old + count);
      if (count > 0) std::memcpy(out.reals.data() + old, p, count * 8);
      return;
    }
    case PhysicalType::Int96:
    case PhysicalType::FixedLenByteArray: {
      size_t w = fixed_width(type, type_length);
      need(data, count * w, count, "PLAIN fixed-length");
      out.bytes.reserve(out.bytes.size() + count);
      for (size_t i = 0; i < count; ++i) out.bytes.emplace_back(reinterpret_cast<const char*>(p + w * i), w);
      return;
    }
    case PhysicalType::ByteArray: {
      // Each value has a 4-byte length: check the count against the data before reserving for it.
      if (count > data.size() / 4) fail("PLAIN BYTE_ARRAY data holds {} bytes, too few for {} values", data.size(), count);
      out.bytes.reserve(out.bytes.size() + count);
      size_t pos = 0, n = data.size();
      for (size_t i = 0; i < count; ++i) {
        if (n - pos < 4) fail("PLAIN BYTE_ARRAY data ends at value {} of {}", i, count);
        uint32_t len = load_le<uint32_t>(p + pos);
        pos += 4;
        if (len > n - pos) fail("PLAIN BYTE_ARRAY value {} of length {} runs past the page end", i, len);
        out.bytes.emplace_back(reinterpret_cast<const char*>(p + pos), len);
        pos += len;
      }
      return;
    }
  }
  fail("unknown physical type {}", static_cast<int>(type));
}

void decode_rle_booleans(std::span<const uint8_t> data, size_t count, PageValues& out) {
  if (data.size() < 4) fail("RLE BOOLEAN data lacks its 4-byte length");
  uint32_t len = load_le<uint32_t>(data.data());
  if (len > data.size() - 4) fail("RLE BOOLEAN length {} runs past the page end", len);
  RleHybridDecoder dec(data.subspan(4, len), 1);
  std::vector<uint8_t> bits(count);
  dec.decode(bits.data(), count);
  out.ints.insert(out.ints.end(), bits.begin(), bits.end());
}

void decode_byte_stream_split(std::span<const uint8_t> data, PhysicalType type, int type_length, size_t count,
                              PageValues& out) {
  size_t w = fixed_width(type, type_length);
  if (w == 0 || type == PhysicalType::Int96) fail("BYTE_STREAM_SPLIT is not defined for this physical type");
  need(data, count * w, count, "BYTE_STREAM_SPLIT");
  const uint8_t* p = data.data();
  size_t stride = data.size() / w;  // streams span the whole value section
  if (stride < count) fail("BYTE_STREAM_SPLIT data too short");
  uint8_t buf[16];
  if (type == PhysicalType::FixedLenByteArray) {
    // Reassembled values need storage of their own.
    out.arena.resize(count * w);
    for (size_t i = 0; i < count; ++i)
      for (size_t k = 0; k < w; ++k) out.arena[i * w + k] = static_cast<char>(p[k * stride + i]);
    for (size_t i = 0; i < count; ++i) out.bytes.emplace_back(out.arena.data() + i * w, w);
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < w; ++k) buf[k] = p[k * stride + i];
    switch (type) {
      case PhysicalType::Int32: out.ints.push_back(load_le<int32_t>(buf)); break;
      case PhysicalType::Int64: out.ints.push_back(load_le<int64_t>(buf)); break;
      case PhysicalType::Float: out.reals.push_back(load_le<float>(buf)); break;
      case PhysicalType::Double: out.reals.push_back(load_le<double>(buf)); break;
      default: break;
    }
  }
}

void gather_dictionary(const PageValues& dict, std::span<const uint32_t> idx, PageValues& out) {
  auto check = [&](size_t dict_size) {
    for (uint32_t i : idx)
      if (i >= dict_size) fail("dictionary index {} out of range (dictionary has {} values)", i, dict_size);
  };
  if (!dict.bytes.empty() || (dict.ints.empty() && dict.reals.empty())) {
    check(dict.bytes.size());
    out.bytes.reserve(out.bytes.size() + idx.size());
    for (uint32_t i : idx) out.bytes.push_back(dict.bytes[i]);
  } else if (!dict.ints.empty()) {
    check(dict.ints.size());
    out.ints.reserve(out.ints.size() + idx.size());
    for (uint32_t i : idx) out.ints.push_back(dict.ints[i]);
  } else {
    check(dict.reals.size());
    out.reals.reserve(out.reals.size() + idx.size());
    for (uint32_t i : idx) out.reals.push_back(dict.reals[i]);
  }
}

}  // namespace skytrain::pipeline::parquet
