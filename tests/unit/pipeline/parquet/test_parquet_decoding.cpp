// Unit tests of the Parquet reader's building blocks against hand-computed byte vectors:
// Thrift compact decoding, the RLE/bit-packed hybrid, the DELTA encodings, BYTE_STREAM_SPLIT,
// codecs, and the JSON text of dates, timestamps and decimals.
#include <doctest/doctest.h>

#include <snappy.h>

#include <string>
#include <vector>

#include "parquet/codecs.hpp"
#include "parquet/json_values.hpp"
#include "parquet/page_values.hpp"
#include "parquet/rle_hybrid.hpp"
#include "parquet/thrift_compact.hpp"
#include "skytrain/common/error.hpp"
#include "test_parquet_builder.hpp"
#include "unit_support.hpp"

using namespace skytrain::pipeline::parquet;
using skytrain::test::error_of;

namespace {
std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST_CASE("parquet thrift: fields, nesting, skipping and truncation") {
  parquet_test::ThriftWriter w;
  w.i32(1, -5);
  w.binary(2, "hello");
  w.begin_struct(3);  // nested struct with an unknown field to skip
  w.i64(7, 1234567890123);
  w.list(8, 5, 3);
  w.zigzag(1);
  w.zigzag(2);
  w.zigzag(3);
  w.end_struct();
  w.boolean(40, true);  // long-form header (delta > 15)
  w.out.push_back(0);

  ThriftCompactReader r(bytes(w.out), 1000, "f.parquet: footer");
  r.begin_struct();
  auto h = r.read_field_header();
  CHECK(h.id == 1);
  CHECK(r.read_i32() == -5);
  h = r.read_field_header();
  CHECK(h.id == 2);
  CHECK(r.read_binary() == "hello");
  h = r.read_field_header();
  CHECK(h.id == 3);
  r.skip(h.type);
  h = r.read_field_header();
  CHECK(h.id == 40);
  CHECK(r.read_bool(h) == true);
  CHECK(r.read_field_header().type == ThriftType::Stop);
  r.end_struct();
  CHECK(r.position() == w.out.size());

  // Cut in the middle of the string: the error names the absolute offset.
  std::string cut = w.out.substr(0, 4);
  ThriftCompactReader r2(bytes(cut), 1000, "f.parquet: footer");
  r2.begin_struct();
  r2.read_field_header();
  r2.read_i32();
  r2.read_field_header();
  std::string err = error_of([&] { r2.read_binary(); });
  CHECK(err.find("f.parquet: footer") != std::string::npos);
  CHECK(err.find("byte offset 1004") != std::string::npos);  // just after the length varint
}

TEST_CASE("parquet rle hybrid: spec example, RLE runs, truncated runs") {
  // The format spec's bit-packing example: 0..7 with bit width 3 -> 0x88 0xC6 0xFA.
  std::string packed = std::string("\x03\x88\xC6\xFA", 4);
  std::vector<uint32_t> out(8);
  RleHybridDecoder(bytes(packed), 3).decode(out.data(), 8);
  CHECK(out == std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});

  // RLE run of 5 x 300 at width 9 (two value bytes), then 2 x 1.
  std::string rle = parquet_test::rle_runs({300, 300, 300, 300, 300, 1, 1}, 9);
  std::vector<uint32_t> v(7);
  RleHybridDecoder(bytes(rle), 9).decode(v.data(), 7);
  CHECK(v == std::vector<uint32_t>{300, 300, 300, 300, 300, 1, 1});

  // Asking for more values than the data holds is an error, not garbage.
  std::vector<uint32_t> more(9);
  CHECK(error_of([&] { RleHybridDecoder(bytes(packed), 3).decode(more.data(), 9); }).find("ends after 8 of 9") !=
        std::string::npos);
  // Levels wider than a byte cannot be decoded into level storage.
  std::vector<uint8_t> lv(1);
  CHECK_THROWS_AS(RleHybridDecoder(bytes(parquet_test::rle_runs({300}, 9)), 9).decode(lv.data(), 1), skytrain::Error);
  CHECK(bit_width_for(0) == 0);
  CHECK(bit_width_for(1) == 1);
  CHECK(bit_width_for(2) == 2);
  CHECK(bit_width_for(255) == 8);
}

TEST_CASE("parquet delta binary packed: hand-encoded blocks") {
  // 1,2,3,4,5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, all widths 0.
  std::string a("\x80\x01\x04\x05\x02\x02\x00\x00\x00\x00", 10);
  PageValues pv;
  decode_delta_binary_packed(bytes(a), PhysicalType::Int64, 5, pv);
  CHECK(pv.ints == std::vector<int64_t>{1, 2, 3, 4, 5});

  // 7,5,3,1,2,3,4,5: deltas -2,-2,-2,1,1,1,1; min -2; relative 0,0,0,3,3,3,3 at width 2.
  std::string b("\x80\x01\x04\x08\x0e\x03\x02\x00\x00\x00\xc0\x3f\x00\x00\x00\x00\x00\x00", 18);
  pv.clear();
  decode_delta_binary_packed(bytes(b), PhysicalType::Int32, 8, pv);
  CHECK(pv.ints == std::vector<int64_t>{7, 5, 3, 1, 2, 3, 4, 5});

  // Count mismatch and truncation are errors.
  pv.clear();
  CHECK_THROWS_AS(decode_delta_binary_packed(bytes(b), PhysicalType::Int32, 9, pv), skytrain::Error);
  pv.clear();
  CHECK_THROWS_AS(decode_delta_binary_packed(bytes(b.substr(0, 12)), PhysicalType::Int32, 8, pv), skytrain::Error);
  pv.clear();
  CHECK_THROWS_AS(decode_delta_binary_packed(bytes(b), PhysicalType::Double, 8, pv), skytrain::Error);
}

TEST_CASE("parquet delta byte arrays: DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY") {
  // Lengths 4,2,6,5: first 4, deltas -2,4,-1; min -2, relative 0,6,1 at width 3.
  std::string lengths("\x80\x01\x04\x04\x08\x03\x03\x00\x00\x00\x70\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 22);
  PageValues pv;
  const std::string dlba = lengths + "axislebabbleyhood";  // the views point into it
  decode_delta_length_byte_array(bytes(dlba), 4, pv);
  REQUIRE(pv.bytes.size() == 4);
  CHECK(pv.bytes[0] == "axis");
  CHECK(pv.bytes[1] == "le");
  CHECK(pv.bytes[2] == "babble");
  CHECK(pv.bytes[3] == "yhood");

  // The spec's example: axis, axle, babble, babyhood = prefixes 0,2,0,3 + suffixes above.
  // Prefixes: first 0, deltas 2,-2,3; min -2, relative 4,0,5 at width 3.
  std::string prefixes("\x80\x01\x04\x04\x00\x03\x03\x00\x00\x00\x44\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 22);
  pv.clear();
  decode_delta_byte_array(bytes(prefixes + lengths + "axislebabbleyhood"), 4, pv);
  REQUIRE(pv.bytes.size() == 4);
  CHECK(pv.bytes[0] == "axis");
  CHECK(pv.bytes[1] == "axle");
  CHECK(pv.bytes[2] == "babble");
  CHECK(pv.bytes[3] == "babyhood");

  // Suffix bytes missing: error.
  pv.clear();
  CHECK_THROWS_AS(decode_delta_byte_array(bytes(prefixes + lengths + "axisle"), 4, pv), skytrain::Error);
}

TEST_CASE("parquet plain and byte stream split") {
  PageValues pv;
  const std::string arrays = parquet_test::plain_byte_arrays({"a", "", "xyz"});  // views point into it
  decode_plain(bytes(arrays), PhysicalType::ByteArray, 0, 3, pv);
  CHECK(pv.bytes == std::vector<std::string_view>{"a", "", "xyz"});
  pv.clear();
  CHECK_THROWS_AS(decode_plain(bytes(parquet_test::le32(10) + "abc"), PhysicalType::ByteArray, 0, 1, pv),
                  skytrain::Error);
  pv.clear();
  decode_plain(bytes(std::string("\x05", 1)), PhysicalType::Boolean, 0, 3, pv);
  CHECK(pv.ints == std::vector<int64_t>{1, 0, 1});

  // Two floats 1.0f (00 00 80 3F) and -2.0f (00 00 00 C0), split into 4 byte streams.
  std::string bss("\x00\x00\x00\x00\x80\x00\x3f\xc0", 8);
  pv.clear();
  decode_byte_stream_split(bytes(bss), PhysicalType::Float, 0, 2, pv);
  CHECK(pv.reals == std::vector<double>{1.0, -2.0});

  PageValues dict;
  decode_plain(bytes(parquet_test::plain_int32({10, 20})), PhysicalType::Int32, 0, 2, dict);
  std::vector<uint32_t> idx{1, 0, 1};
  pv.clear();
  gather_dictionary(dict, idx, pv);
  CHECK(pv.ints == std::vector<int64_t>{20, 10, 20});
  std::vector<uint32_t> bad{2};
  CHECK_THROWS_AS(gather_dictionary(dict, bad, pv), skytrain::Error);
}

TEST_CASE("parquet codecs: snappy round trip, size mismatch, unsupported") {
  std::string text(5000, 'q');
  std::string compressed;
  snappy::Compress(text.data(), text.size(), &compressed);
  ByteBuffer out;
  decompress(Codec::Snappy, bytes(compressed), text.size(), out);
  CHECK(std::string(out.data(), out.data() + out.size()) == text);
  CHECK_THROWS_AS(decompress(Codec::Snappy, bytes(compressed), text.size() + 1, out), skytrain::Error);
  CHECK_THROWS_AS(decompress(Codec::Snappy, bytes(std::string("\xff\xff\xff", 3)), 10, out), skytrain::Error);
  CHECK(error_of([&] { decompress(Codec::Lz4, bytes(compressed), text.size(), out); }).find("LZ4") !=
        std::string::npos);
  CHECK_FALSE(codec_supported(Codec::Brotli));
}

TEST_CASE("parquet json values: dates, decimals, strings") {
  CHECK(format_date(0) == "1970-01-01");
  CHECK(format_date(-1) == "1969-12-31");
  CHECK(format_date(19723) == "2024-01-01");
  CHECK(format_date(-719162) == "0001-01-01");
  CHECK(format_decimal(150, 2) == "1.50");
  CHECK(format_decimal(-5, 2) == "-0.05");
  CHECK(format_decimal(0, 3) == "0.000");
  CHECK(format_decimal(12345, 0) == "12345");
  __int128 big = static_cast<__int128>(1) << 100;
  CHECK(format_decimal(-big, 10) == "-126765060022822940149.6703205376");
}
