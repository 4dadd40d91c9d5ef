// ParquetReader on hand-built files (see test_parquet_builder.hpp): shapes DuckDB does not
// write (legacy 2-level lists, bare repeated fields, DELTA_BYTE_ARRAY, INT96, PLAIN_DICTIONARY)
// and precisely corrupted or unsupported pages, whose errors must name the file, the column
// and the byte offset.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/parquet_reader.hpp"
#include "test_parquet_builder.hpp"

using parquet_test::Column;
using parquet_test::Element;
using skytrain::pipeline::ParquetReader;

namespace {

enum { kInt32 = 1, kInt96 = 3, kByteArray = 6 };
enum { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum { kUtf8 = 0, kList = 3 };
enum { kPlain = 0, kPlainDictionary = 2, kRle = 3, kBitPacked = 4, kDeltaByteArray = 7, kRleDictionary = 8 };

std::vector<std::string> read_all(const std::filesystem::path& p) {
  ParquetReader r(p);
  std::vector<std::string> rows;
  std::string row;
  while (r.next_row(row)) rows.push_back(row);
  return rows;
}

std::string read_error(const std::filesystem::path& p) {
  try {
    read_all(p);
  } catch (const skytrain::Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// One required INT32 column "id" with the given values (plain, v1).
Column id_column(const std::vector<int32_t>& ids) {
  Column c{{"id"}, kInt32, static_cast<int64_t>(ids.size()), {}, 0};
  c.pages = parquet_test::data_page_v1(static_cast<int>(ids.size()), kPlain, parquet_test::plain_int32(ids));
  return c;
}

}  // namespace

TEST_CASE("parquet file: legacy 2-level list of strings, nulls and empty lists") {
  parquet_test::TempFile f("two-level");
  std::vector<Element> schema{
      {"schema", -1, 0, 2},
      {"id", kInt32, kRequired},
      {"tags", -1, kOptional, 1, kList},
      {"str", kByteArray, kRepeated, 0, kUtf8},
  };
  Column tags{{"tags", "str"}, kByteArray, 5, {}, 0};
  tags.pages = parquet_test::data_page_v1(
      5, kPlain,
      parquet_test::levels_v1({0, 1, 0, 0, 0}, 1) + parquet_test::levels_v1({2, 2, 1, 0, 2}, 2) +
          parquet_test::plain_byte_arrays({"a", "b", "c"}));
  parquet_test::write_file(f.path, schema, {id_column({1, 2, 3, 4}), tags}, 4);

  ParquetReader r(f.path);
  CHECK(r.num_rows() == 4);
  CHECK(r.num_row_groups() == 1);
  CHECK(r.column_names() == std::vector<std::string>{"id", "tags"});
  auto rows = read_all(f.path);
  CHECK(rows == std::vector<std::string>{
                    R"({"id":1,"tags":["a","b"]})",
                    R"({"id":2,"tags":[]})",
                    R"({"id":3,"tags":null})",
                    R"({"id":4,"tags":["c"]})",
                });
}

TEST_CASE("parquet file: bare repeated field and 2-level list of structs named array") {
  parquet_test::TempFile f("bare-repeated");
  std::vector<Element> schema{
      {"schema", -1, 0, 2},
      {"nums", kInt32, kRepeated},
      {"pts", -1, kOptional, 1, kList},
      {"array", -1, kRepeated, 1},
      {"x", kInt32, kRequired},
  };
  Column nums{{"nums"}, kInt32, 4, {}, 0};
  nums.pages = parquet_test::data_page_v1(4, kPlain,
                                          parquet_test::levels_v1({0, 1, 0, 0}, 1) +
                                              parquet_test::levels_v1({1, 1, 0, 1}, 1) +
                                              parquet_test::plain_int32({1, 2, 3}));
  Column pts{{"pts", "array", "x"}, kInt32, 4, {}, 0};
  pts.pages = parquet_test::data_page_v1(4, kPlain,
                                         parquet_test::levels_v1({0, 1, 0, 0}, 1) +
                                             parquet_test::levels_v1({2, 2, 0, 1}, 2) +
                                             parquet_test::plain_int32({5, 6}));
  parquet_test::write_file(f.path, schema, {nums, pts}, 3);
  CHECK(read_all(f.path) == std::vector<std::string>{
                                R"({"nums":[1,2],"pts":[{"x":5},{"x":6}]})",
                                R"({"nums":[],"pts":null})",
                                R"({"nums":[3],"pts":[]})",
                            });
}

TEST_CASE("parquet file: DELTA_BYTE_ARRAY, INT96 and PLAIN_DICTIONARY pages") {
  parquet_test::TempFile f("encodings");
  std::vector<Element> schema{
      {"schema", -1, 0, 3},
      {"s", kByteArray, kRequired, 0, kUtf8},
      {"t", kInt96, kRequired},
      {"d", kInt32, kRequired},
  };
  std::string prefixes("\x80\x01\x04\x04\x00\x03\x03\x00\x00\x00\x44\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 22);
  std::string lengths("\x80\x01\x04\x04\x08\x03\x03\x00\x00\x00\x70\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 22);
  Column s{{"s"}, kByteArray, 4, parquet_test::data_page_v1(4, kDeltaByteArray, prefixes + lengths + "axislebabbleyhood"), 0};
  // INT96: 8 bytes nanoseconds of the day, 4 bytes Julian day (2440588 = 1970-01-01).
  std::string int96;
  for (int i = 0; i < 4; ++i) {
    int64_t nanos = 3723000500000 + i * int64_t{86400} * 0;  // 01:02:03.0005
    int32_t day = 2440588 + i;
    int96.append(reinterpret_cast<const char*>(&nanos), 8);
    int96.append(reinterpret_cast<const char*>(&day), 4);
  }
  Column t{{"t"}, kInt96, 4, parquet_test::data_page_v1(4, kPlain, int96), 0};
  Column d{{"d"}, kInt32, 4, {}, 0};
  d.pages = parquet_test::dictionary_page(2, parquet_test::plain_int32({100, 200})) +
            parquet_test::data_page_v1(4, kPlainDictionary, std::string("\x01", 1) + parquet_test::rle_runs({1, 0, 0, 1}, 1));
  parquet_test::write_file(f.path, schema, {s, t, d}, 4);
  CHECK(read_all(f.path) == std::vector<std::string>{
                                R"({"s":"axis","t":"1970-01-01 01:02:03.0005","d":200})",
                                R"({"s":"axle","t":"1970-01-02 01:02:03.0005","d":100})",
                                R"({"s":"babble","t":"1970-01-03 01:02:03.0005","d":100})",
                                R"({"s":"babyhood","t":"1970-01-04 01:02:03.0005","d":200})",
                            });
}

TEST_CASE("parquet file: unsupported encodings name the file, column and byte offset") {
  parquet_test::TempFile f("bad-encoding");
  std::vector<Element> schema{{"schema", -1, 0, 1}, {"n", kInt32, kRequired}};
  Column n{{"n"}, kInt32, 2, parquet_test::data_page_v1(2, kBitPacked, parquet_test::plain_int32({1, 2})), 0};
  parquet_test::write_file(f.path, schema, {n}, 2);
  std::string err = read_error(f.path);
  CHECK(contains(err, f.path.string()));
  CHECK(contains(err, "column n (row group 0)"));
  CHECK(contains(err, "page at byte offset 4"));
  CHECK(contains(err, "unsupported encoding BIT_PACKED"));

  // Deprecated BIT_PACKED definition levels.
  parquet_test::TempFile g("bad-levels");
  std::vector<Element> schema2{{"schema", -1, 0, 1}, {"n", kInt32, kOptional}};
  Column m{{"n"}, kInt32, 2, {}, 0};
  m.pages = parquet_test::data_page_v1(2, kPlain, parquet_test::levels_v1({1, 1}, 1) + parquet_test::plain_int32({1, 2}),
                                       kBitPacked);
  parquet_test::write_file(g.path, schema2, {m}, 2);
  err = read_error(g.path);
  CHECK(contains(err, "definition levels use unsupported encoding BIT_PACKED"));
  CHECK(contains(err, "column n"));
}

TEST_CASE("parquet file: corrupt pages and inconsistent counts are errors") {
  std::vector<Element> schema{{"schema", -1, 0, 1}, {"n", kInt32, kOptional}};
  SUBCASE("page size past the column chunk") {
    parquet_test::TempFile f("page-size");
    Column n{{"n"}, kInt32, 2, {}, 0};
    std::string page = parquet_test::data_page_v1(2, kPlain, parquet_test::levels_v1({1, 1}, 1) + parquet_test::plain_int32({1, 2}));
    n.pages = page.substr(0, page.size() - 3);  // the chunk ends before the page does
    parquet_test::write_file(f.path, schema, {n}, 2);
    std::string err = read_error(f.path);
    CHECK(contains(err, "runs past the end of the column chunk"));
    CHECK(contains(err, "byte offset 4"));
  }
  SUBCASE("dictionary index out of range") {
    parquet_test::TempFile f("dict-index");
    Column n{{"n"}, kInt32, 2, {}, 0};
    n.pages = parquet_test::dictionary_page(1, parquet_test::plain_int32({7})) +
              parquet_test::data_page_v1(2, kRleDictionary,
                                         parquet_test::levels_v1({1, 1}, 1) + std::string("\x02", 1) +
                                             parquet_test::rle_runs({0, 3}, 2));
    parquet_test::write_file(f.path, schema, {n}, 2);
    CHECK(contains(read_error(f.path), "dictionary index 3 out of range"));
  }
  SUBCASE("fewer values than rows") {
    parquet_test::TempFile f("few-values");
    Column n{{"n"}, kInt32, 2, {}, 0};
    n.pages = parquet_test::data_page_v1(2, kPlain, parquet_test::levels_v1({1, 0}, 1) + parquet_test::plain_int32({1}));
    parquet_test::write_file(f.path, schema, {n}, 3);
    CHECK(contains(read_error(f.path), "ran out of values"));
  }
  SUBCASE("more values than rows") {
    parquet_test::TempFile f("many-values");
    Column n{{"n"}, kInt32, 3, {}, 0};
    n.pages = parquet_test::data_page_v1(3, kPlain, parquet_test::levels_v1({1, 0, 1}, 1) + parquet_test::plain_int32({1, 2}));
    parquet_test::write_file(f.path, schema, {n}, 2);
    CHECK(contains(read_error(f.path), "more values than the row group's rows"));
  }
  SUBCASE("definition level above the maximum") {
    parquet_test::TempFile f("def-level");
    std::vector<Element> nested{{"schema", -1, 0, 1}, {"g", -1, kOptional, 1}, {"n", kInt32, kOptional}};
    Column n{{"g", "n"}, kInt32, 2, {}, 0};  // max definition level 2: 2-bit levels
    n.pages = parquet_test::data_page_v1(2, kPlain, parquet_test::levels_v1({2, 3}, 2) + parquet_test::plain_int32({1}));
    parquet_test::write_file(f.path, nested, {n}, 2);
    std::string err = read_error(f.path);
    CHECK(contains(err, "definition level 3 exceeds the column's maximum 2"));
    CHECK(contains(err, "column g.n"));
  }
  SUBCASE("a page claiming two billion values is an error, not a 2 GiB allocation") {
    parquet_test::TempFile f("huge-count");
    const int32_t n_values = 2147483647;
    Column n{{"n"}, kInt32, n_values, {}, 0};
    // Definition levels: one RLE run of n_values zeros (all null) takes six bytes.
    parquet_test::ThriftWriter run;
    run.varint(uint64_t{static_cast<uint32_t>(n_values)} << 1);
    std::string levels = run.out + std::string(1, '\0');
    n.pages = parquet_test::data_page_v1(n_values, kPlain, parquet_test::le32(static_cast<uint32_t>(levels.size())) + levels);
    parquet_test::write_file(f.path, schema, {n}, n_values);
    CHECK(contains(read_error(f.path), "page declares 2147483647 values"));
  }
  SUBCASE("values missing from the page") {
    parquet_test::TempFile f("short-values");
    Column n{{"n"}, kInt32, 2, {}, 0};
    n.pages = parquet_test::data_page_v1(2, kPlain, parquet_test::levels_v1({1, 1}, 1) + parquet_test::plain_int32({1}));
    parquet_test::write_file(f.path, schema, {n}, 2);
    CHECK(contains(read_error(f.path), "PLAIN INT32 data holds 4 bytes"));
  }
}

TEST_CASE("parquet file: schema and footer errors") {
  SUBCASE("row count mismatch between footer and row groups") {
    parquet_test::TempFile f("rows");
    std::vector<Element> schema{{"schema", -1, 0, 1}, {"id", kInt32, kRequired}};
    parquet_test::write_file(f.path, schema, {id_column({1, 2})}, 2);
    // Rewrite with a schema claiming two children but listing one: malformed schema.
    std::vector<Element> bad{{"schema", -1, 0, 2}, {"id", kInt32, kRequired}};
    parquet_test::write_file(f.path, bad, {id_column({1, 2})}, 2);
    std::string err = read_error(f.path);
    CHECK(contains(err, f.path.string()));
    CHECK(contains(err, "schema element 2 is missing"));
  }
  SUBCASE("column chunks do not match the schema") {
    parquet_test::TempFile f("chunks");
    std::vector<Element> schema{{"schema", -1, 0, 2}, {"id", kInt32, kRequired}, {"x", kInt32, kRequired}};
    parquet_test::write_file(f.path, schema, {id_column({1, 2})}, 2);
    CHECK(contains(read_error(f.path), "has 1 column chunks but the schema has 2 leaf columns"));
  }
  SUBCASE("progress counters") {
    parquet_test::TempFile f("progress");
    std::vector<Element> schema{{"schema", -1, 0, 1}, {"id", kInt32, kRequired}};
    parquet_test::write_file(f.path, schema, {id_column({1, 2, 3})}, 3);
    ParquetReader r(f.path);
    std::string row;
    CHECK(r.rows_read() == 0);
    CHECK(r.next_row(row));
    CHECK(row == R"({"id":1})");
    CHECK(r.rows_read() == 1);
    CHECK(r.bytes_read() > 0);
    CHECK(r.bytes_read() < r.file_size());
    CHECK(r.skip_rows(1) == 1);
    CHECK(r.next_row(row));
    CHECK(row == R"({"id":3})");
    CHECK(r.rows_read() == 3);
    CHECK(r.skip_rows(5) == 0);
    CHECK_FALSE(r.next_row(row));
  }
}
