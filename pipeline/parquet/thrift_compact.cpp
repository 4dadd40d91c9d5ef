#include "thrift_compact.hpp"

#include <cstring>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::parquet {

namespace {
constexpr int kMaxDepth = 60;
}

ThriftCompactReader::ThriftCompactReader(std::span<const uint8_t> data, uint64_t base_offset,
                                         std::string what)
    : data_(data), base_(base_offset), what_(std::move(what)) {}

void ThriftCompactReader::fail_here(std::string_view why) const {
  fail("{}: {} at byte offset {}", what_, why, base_ + pos_);
}

uint8_t ThriftCompactReader::read_u8() {
  if (pos_ >= data_.size()) fail_here("truncated Thrift data");
  return data_[pos_++];
}

uint64_t ThriftCompactReader::read_varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = read_u8();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail_here("Thrift varint longer than 10 bytes");
}

static int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void ThriftCompactReader::begin_struct() {
  if (depth_ >= kMaxDepth) fail_here("Thrift structures nested too deeply");
  field_id_stack_[depth_++] = last_field_id_;
  last_field_id_ = 0;
}

void ThriftCompactReader::end_struct() {
  if (depth_ == 0) fail_here("unbalanced Thrift struct");
  last_field_id_ = field_id_stack_[--depth_];
}

ThriftFieldHeader ThriftCompactReader::read_field_header() {
  uint8_t b = read_u8();
  ThriftFieldHeader h;
  uint8_t t = b & 0x0f;
  if (t == 0) return h;  // Stop
  if (t > 12) fail_here("invalid Thrift field type " + std::to_string(t));
  h.type = static_cast<ThriftType>(t);
  uint8_t delta = b >> 4;
  if (delta) {
    h.id = static_cast<int16_t>(last_field_id_ + delta);
  } else {
    h.id = static_cast<int16_t>(unzigzag(read_varint()));
  }
  last_field_id_ = h.id;
  if (h.type == ThriftType::BoolTrue) h.bool_value = true;
  return h;
}

bool ThriftCompactReader::read_bool(const ThriftFieldHeader& h) {
  if (h.type != ThriftType::BoolTrue && h.type != ThriftType::BoolFalse) fail_here("expected a Thrift bool");
  return h.bool_value;
}

bool ThriftCompactReader::read_bool_element() { return read_u8() == 1; }

int8_t ThriftCompactReader::read_byte() { return static_cast<int8_t>(read_u8()); }

int32_t ThriftCompactReader::read_i32() {
  int64_t v = unzigzag(read_varint());
  if (v < INT32_MIN || v > INT32_MAX) fail_here("Thrift i32 out of range");
  return static_cast<int32_t>(v);
}

int64_t ThriftCompactReader::read_i64() { return unzigzag(read_varint()); }

double ThriftCompactReader::read_double() {
  if (data_.size() - pos_ < 8) fail_here("truncated Thrift double");
  double d;
  std::memcpy(&d, data_.data() + pos_, 8);
  pos_ += 8;
  return d;
}

std::string_view ThriftCompactReader::read_binary() {
  uint64_t n = read_varint();
  if (n > data_.size() - pos_) fail_here("Thrift string runs past the end of the data");
  std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return s;
}

ThriftListHeader ThriftCompactReader::read_list_header() {
  uint8_t b = read_u8();
  ThriftListHeader h;
  h.elem_type = static_cast<ThriftType>(b & 0x0f);
  uint64_t size = b >> 4;
  if (size == 15) size = read_varint();
  // Every element takes at least one byte, except bools... which also take one in lists.
  if (size > data_.size() - pos_) fail_here("Thrift list longer than the remaining data");
  h.size = static_cast<uint32_t>(size);
  return h;
}

void ThriftCompactReader::skip(ThriftType type) { skip_depth(type, 0); }

void ThriftCompactReader::skip_depth(ThriftType type, int depth) {
  if (depth > kMaxDepth) fail_here("Thrift structures nested too deeply");
  switch (type) {
    case ThriftType::BoolTrue:
    case ThriftType::BoolFalse:
      return;  // value lives in the field header
    case ThriftType::Byte:
      read_u8();
      return;
    case ThriftType::I16:
    case ThriftType::I32:
    case ThriftType::I64:
      read_varint();
      return;
    case ThriftType::Double:
      read_double();
      return;
    case ThriftType::Binary:
      read_binary();
      return;
    case ThriftType::List:
    case ThriftType::Set: {
      auto h = read_list_header();
      for (uint32_t i = 0; i < h.size; ++i) {
        if (h.elem_type == ThriftType::BoolTrue || h.elem_type == ThriftType::BoolFalse) {
          read_u8();
        } else {
          skip_depth(h.elem_type, depth + 1);
        }
      }
      return;
    }
    case ThriftType::Map: {
      uint64_t n = read_varint();
      if (n == 0) return;
      if (n > data_.size() - pos_) fail_here("Thrift map larger than the remaining data");
      uint8_t kv = read_u8();
      auto kt = static_cast<ThriftType>(kv >> 4), vt = static_cast<ThriftType>(kv & 0x0f);
      for (uint64_t i = 0; i < n; ++i) {
        if (kt == ThriftType::BoolTrue || kt == ThriftType::BoolFalse) read_u8(); else skip_depth(kt, depth + 1);
        if (vt == ThriftType::BoolTrue || vt == ThriftType::BoolFalse) read_u8(); else skip_depth(vt, depth + 1);
      }
      return;
    }
    case ThriftType::Struct: {
      begin_struct();
      for (;;) {
        auto h = read_field_header();
        if (h.type == ThriftType::Stop) break;
        skip_depth(h.type, depth + 1);
      }
      end_struct();
      return;
    }
    case ThriftType::Stop:
      break;
  }
  fail_here("invalid Thrift type to skip");
}

}  // namespace skytrain::pipeline::parquet
