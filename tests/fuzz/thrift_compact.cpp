// Fuzz target: the Thrift compact decoder under Parquet's metadata. The first input byte picks
// the entry point, the rest is the encoded data: (0) a generic typed walk of a struct with
// every read_* call, (1) skip() of a struct, (2) decode_page_header, (3) decode_file_metadata.
// Asserts that decoding never consumes past the end of the data, that a decoded page header has
// non-negative sizes, and that bad data ends in skytrain::Error.
#include <span>

#include "fuzz_support.hpp"
#include "parquet/file_metadata.hpp"
#include "parquet/thrift_compact.hpp"

using namespace skytrain::pipeline::parquet;

namespace {

void walk_value(ThriftCompactReader& r, ThriftType t, const ThriftFieldHeader* h, int depth);

// The decoder caps struct nesting itself (begin_struct); `depth` only keeps this walker's own
// recursion through nested lists bounded, handing deeper values to skip() (which has its cap).
void walk_struct(ThriftCompactReader& r, int depth) {
  r.begin_struct();
  for (;;) {
    ThriftFieldHeader h = r.read_field_header();
    if (h.type == ThriftType::Stop) break;
    walk_value(r, h.type, &h, depth + 1);
  }
  r.end_struct();
}

void walk_value(ThriftCompactReader& r, ThriftType t, const ThriftFieldHeader* h, int depth) {
  if (depth > 100) return r.skip(t);
  switch (t) {
    case ThriftType::BoolTrue:
    case ThriftType::BoolFalse:
      if (h) (void)r.read_bool(*h); else (void)r.read_bool_element();
      return;
    case ThriftType::Byte: (void)r.read_byte(); return;
    case ThriftType::I16:
    case ThriftType::I32: (void)r.read_i32(); return;
    case ThriftType::I64: (void)r.read_i64(); return;
    case ThriftType::Double: (void)r.read_double(); return;
    case ThriftType::Binary: (void)r.read_binary(); return;
    case ThriftType::List:
    case ThriftType::Set: {
      ThriftListHeader lh = r.read_list_header();
      for (uint32_t i = 0; i < lh.size; ++i) walk_value(r, lh.elem_type, nullptr, depth + 1);
      return;
    }
    case ThriftType::Struct: walk_struct(r, depth); return;
    default: r.skip(t); return;  // Map, and element types no field header can carry
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 4;
  std::span<const uint8_t> bytes(data + 1, size - 1);
  skytrain::fuzz::expect_clear_errors([&] {
    switch (mode) {
      case 0: {
        ThriftCompactReader r(bytes, 1, "fuzz");
        walk_struct(r, 0);
        FUZZ_CHECK(r.position() <= bytes.size());
        break;
      }
      case 1: {
        ThriftCompactReader r(bytes, 1, "fuzz");
        r.skip(ThriftType::Struct);
        FUZZ_CHECK(r.position() <= bytes.size());
        break;
      }
      case 2: {
        size_t header_size = 0;
        PageHeader p = decode_page_header(bytes, 1, "fuzz", header_size);
        FUZZ_CHECK(header_size <= bytes.size());
        FUZZ_CHECK(p.compressed_page_size >= 0 && p.uncompressed_page_size >= 0 && p.num_values >= 0);
        break;
      }
      case 3: {
        FileMetaData md = decode_file_metadata(bytes, 1, "fuzz");
        FUZZ_CHECK(!md.schema.empty());
        break;
      }
    }
  });
  return 0;
}
