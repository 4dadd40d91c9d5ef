// Test helper: writes small Parquet files by hand (Thrift compact metadata, pages with
// explicit levels and encodings), so unit tests can cover shapes DuckDB never writes: legacy
// 2-level lists, bare repeated fields, DELTA_BYTE_ARRAY, INT96, unsupported encodings, and
// precisely corrupted headers.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace parquet_test {

// Thrift compact protocol writer (short-form field headers where the id delta allows).
class ThriftWriter {
 public:
  std::string out;
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  void zigzag(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void field(int id, int type) {
    int delta = id - last_.back();
    if (delta > 0 && delta <= 15) {
      out.push_back(static_cast<char>((delta << 4) | type));
    } else {
      out.push_back(static_cast<char>(type));
      zigzag(id);
    }
    last_.back() = id;
  }
  void i32(int id, int32_t v) { field(id, 5); zigzag(v); }
  void i64(int id, int64_t v) { field(id, 6); zigzag(v); }
  void boolean(int id, bool v) { field(id, v ? 1 : 2); }
  void binary(int id, const std::string& s) { field(id, 8); raw_binary(s); }
  void raw_binary(const std::string& s) { varint(s.size()); out += s; }
  void begin_struct(int id) { field(id, 12); last_.push_back(0); }
  void begin_struct_elem() { last_.push_back(0); }
  void end_struct() { out.push_back(0); last_.pop_back(); }
  void list(int id, int elem_type, size_t n) {
    field(id, 9);
    if (n < 15) {
      out.push_back(static_cast<char>((n << 4) | static_cast<size_t>(elem_type)));
    } else {
      out.push_back(static_cast<char>(0xf0 | elem_type));
      varint(n);
    }
  }

 private:
  std::vector<int> last_{0};
};

// RLE/bit-packed hybrid as plain RLE runs (one run per maximal repeat).
inline std::string rle_runs(const std::vector<int>& values, int bit_width) {
  std::string s;
  size_t i = 0;
  int nbytes = (bit_width + 7) / 8;
  while (i < values.size()) {
    size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    ThriftWriter w;
    w.varint((j - i) << 1);
    s += w.out;
    for (int b = 0; b < nbytes; ++b) s.push_back(static_cast<char>((values[i] >> (8 * b)) & 0xff));
    i = j;
  }
  return s;
}

inline std::string le32(uint32_t v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

// v1 levels section: 4-byte length + RLE runs.
inline std::string levels_v1(const std::vector<int>& levels, int bit_width) {
  std::string r = rle_runs(levels, bit_width);
  return le32(static_cast<uint32_t>(r.size())) + r;
}

inline std::string plain_byte_arrays(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += le32(static_cast<uint32_t>(x.size())) + x;
  return s;
}

inline std::string plain_int32(const std::vector<int32_t>& v) {
  std::string s;
  for (int32_t x : v) s += le32(static_cast<uint32_t>(x));
  return s;
}

// An uncompressed data page v1: header + body.
inline std::string data_page_v1(int num_values, int encoding, const std::string& body, int def_enc = 3,
                                int rep_enc = 3) {
  ThriftWriter w;
  w.i32(1, 0);
  w.i32(2, static_cast<int32_t>(body.size()));
  w.i32(3, static_cast<int32_t>(body.size()));
  w.begin_struct(5);
  w.i32(1, num_values);
  w.i32(2, encoding);
  w.i32(3, def_enc);
  w.i32(4, rep_enc);
  w.end_struct();
  w.out.push_back(0);
  return w.out + body;
}

inline std::string dictionary_page(int num_values, const std::string& body) {
  ThriftWriter w;
  w.i32(1, 2);
  w.i32(2, static_cast<int32_t>(body.size()));
  w.i32(3, static_cast<int32_t>(body.size()));
  w.begin_struct(7);
  w.i32(1, num_values);
  w.i32(2, 0);
  w.end_struct();
  w.out.push_back(0);
  return w.out + body;
}

struct Element {
  std::string name;
  int type = -1;        // physical type, -1 for groups
  int repetition = 0;   // 0 required, 1 optional, 2 repeated
  int num_children = 0;
  int converted = -1;
  int type_length = 0;
};

struct Column {
  std::vector<std::string> path;
  int type = 0;
  int64_t num_values = 0;
  std::string pages;  // concatenated page headers + bodies
  int codec = 0;
};

// Writes a one-row-group file; `elements[0]` is the root.
inline void write_file(const std::filesystem::path& p, const std::vector<Element>& elements,
                       const std::vector<Column>& columns, int64_t num_rows) {
  std::string file = "PAR1";
  std::vector<int64_t> offsets;
  for (const auto& c : columns) {
    offsets.push_back(static_cast<int64_t>(file.size()));
    file += c.pages;
  }
  ThriftWriter w;
  w.i32(1, 1);
  w.list(2, 12, elements.size());
  for (const auto& e : elements) {
    w.begin_struct_elem();
    if (e.type >= 0) w.i32(1, e.type);
    if (e.type_length) w.i32(2, e.type_length);
    if (&e != &elements[0]) w.i32(3, e.repetition);
    w.binary(4, e.name);
    if (e.num_children) w.i32(5, e.num_children);
    if (e.converted >= 0) w.i32(6, e.converted);
    w.end_struct();
  }
  w.i64(3, num_rows);
  w.list(4, 12, 1);
  w.begin_struct_elem();
  w.list(1, 12, columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    w.begin_struct_elem();
    w.i64(2, offsets[i]);
    w.begin_struct(3);
    w.i32(1, c.type);
    w.list(2, 5, 1);
    w.zigzag(0);
    w.list(3, 8, c.path.size());
    for (const auto& s : c.path) w.raw_binary(s);
    w.i32(4, c.codec);
    w.i64(5, c.num_values);
    w.i64(6, static_cast<int64_t>(c.pages.size()));
    w.i64(7, static_cast<int64_t>(c.pages.size()));
    w.i64(9, offsets[i]);
    w.end_struct();
    w.end_struct();
  }
  w.i64(2, 0);
  w.i64(3, num_rows);
  w.end_struct();
  w.out.push_back(0);
  file += w.out;
  file += le32(static_cast<uint32_t>(w.out.size()));
  file += "PAR1";
  std::ofstream(p, std::ios::binary) << file;
}

// A temp file removed at scope exit.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("skytrain-parquet-test-" + std::to_string(::getpid()) + "-" + name + ".parquet")) {}
  ~TempFile() { std::filesystem::remove(path); }
};

}  // namespace parquet_test
