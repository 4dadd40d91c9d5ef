// Thrift compact protocol decoding, just enough for Parquet's footer (FileMetaData) and page
// headers. Parquet serializes its metadata with Apache Thrift's compact protocol; no Thrift or
// Arrow/Parquet library is packaged in Debian 12, and the subset we need (varints, zigzag
// integers, field headers, lists, binary, and skipping unknown fields) is small and stable, so
// we decode it directly instead of generating code from parquet.thrift.
//
// The reader works on a byte span that starts at a known absolute file offset, so every error
// names the file and the byte offset where decoding went wrong. Unknown fields are skipped
// generically (that is how Thrift stays forward compatible); nesting depth is capped so a
// corrupt footer cannot recurse without bound.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace skytrain::pipeline::parquet {

enum class ThriftType : uint8_t {
  Stop = 0,
  BoolTrue = 1,
  BoolFalse = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12,
};

struct ThriftFieldHeader {
  ThriftType type = ThriftType::Stop;
  int16_t id = 0;
  bool bool_value = false;  // for BoolTrue/BoolFalse fields, the value is in the header
};

struct ThriftListHeader {
  ThriftType elem_type = ThriftType::Stop;
  uint32_t size = 0;
};

class ThriftCompactReader {
 public:
  // `what` names the file and structure for error messages; `base_offset` is the absolute
  // file offset of data[0].
  ThriftCompactReader(std::span<const uint8_t> data, uint64_t base_offset, std::string what);

  // Struct framing: call begin_struct() before reading the first field header of a (nested)
  // struct and end_struct() after its Stop field.
  void begin_struct();
  void end_struct();
  ThriftFieldHeader read_field_header();  // type Stop ends the struct

  bool read_bool(const ThriftFieldHeader& h);  // field value (header-encoded)
  bool read_bool_element();                    // list element (one byte)
  int8_t read_byte();
  int32_t read_i32();  // also I16
  int64_t read_i64();
  double read_double();
  std::string_view read_binary();
  ThriftListHeader read_list_header();

  void skip(ThriftType type);

  uint64_t position() const { return pos_; }        // bytes consumed
  uint64_t file_offset() const { return base_ + pos_; }
  [[noreturn]] void fail_here(std::string_view why) const;

 private:
  uint64_t read_varint();
  uint8_t read_u8();
  void skip_depth(ThriftType type, int depth);

  std::span<const uint8_t> data_;
  uint64_t base_;
  std::string what_;
  size_t pos_ = 0;
  int16_t last_field_id_ = 0;
  int16_t field_id_stack_[64] = {};
  int depth_ = 0;
};

}  // namespace skytrain::pipeline::parquet
