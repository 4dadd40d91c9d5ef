#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/dataset/data_files.hpp"
#include "dataset/row_reader.hpp"
#include "unit_support.hpp"

using namespace skytrain::pipeline::dataset;
namespace stdfs = std::filesystem;

using skytrain::test::TempDir;

namespace {
std::vector<std::string> all_rows(const stdfs::path& p, uint64_t pos = 0, uint64_t rows = 0) {
  auto r = open_row_reader(p, detect_format(p), pos, rows);
  std::vector<std::string> out;
  std::string row;
  ReadStatus st;
  while ((st = r->next(row)) != ReadStatus::end) out.push_back((st == ReadStatus::bad_row ? "BAD " : "") + row);
  return out;
}
}  // namespace

TEST_CASE("import: format detection by content") {
  TempDir t;
  CHECK(detect_format(t.write("a.json", "  [ {} ]")) == SourceFormat::json_array);
  CHECK(detect_format(t.write("b.json", "{\"a\":1}\n")) == SourceFormat::jsonl);
  CHECK(detect_format(t.write("c.bin", "PAR1xxxxPAR1")) == SourceFormat::parquet);
  CHECK_THROWS_WITH(detect_format(t.write("d.parquet", "nope")), doctest::Contains("not a Parquet file"));
  CHECK_THROWS_WITH(detect_format(t.write("e.txt", "hello")), doctest::Contains("byte offset 0"));
}

TEST_CASE("import: JSON Lines rows, blank lines, CRLF, bad rows with byte offsets, resume") {
  TempDir t;
  auto p = t.write("x.jsonl", "{\"a\":1}\r\n\n  {\"a\": 2}\n{\"a\":3,}\n[1]\n{\"a\":4}");
  auto rows = all_rows(p);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0] == "{\"a\":1}");
  CHECK(rows[1] == "{\"a\": 2}");
  CHECK(rows[2].find("BAD ") == 0);
  CHECK(rows[2].find("row 2 (byte offset 21)") != std::string::npos);
  CHECK(rows[3].find("must be an object") != std::string::npos);
  CHECK(rows[4] == "{\"a\":4}");

  // Resume after the second row.
  auto r = open_row_reader(p, SourceFormat::jsonl);
  std::string row;
  r->next(row);
  r->next(row);
  auto rest = all_rows(p, r->resume_position(), r->rows_read());
  REQUIRE(rest.size() == 3);
  CHECK(rest[2] == "{\"a\":4}");
}

TEST_CASE("import: JSON arrays stream element by element, compacted") {
  TempDir t;
  auto p = t.write("x.json", "[\n  {\n    \"a\": \"x y\",\n    \"b\": [1, 2]\n  },\n  {\"a\": 1e5},\n  {\"a\": }, {\"c\":null}\n]\n");
  auto rows = all_rows(p);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == R"({"a":"x y","b":[1,2]})");
  CHECK(rows[1] == R"({"a":1e5})");
  CHECK(rows[2].find("BAD ") == 0);
  CHECK(rows[2].find("row 2") != std::string::npos);
  CHECK(rows[3] == R"({"c":null})");

  auto r = open_row_reader(p, SourceFormat::json_array);
  std::string row;
  r->next(row);
  auto rest = all_rows(p, r->resume_position(), r->rows_read());
  REQUIRE(rest.size() == 3);
  CHECK(rest[0] == R"({"a":1e5})");

  CHECK(all_rows(t.write("empty.json", " [ ] ")).empty());
}

TEST_CASE("import: broken JSON arrays are fatal errors naming the byte offset") {
  TempDir t;
  CHECK_THROWS_WITH_AS(all_rows(t.write("t1.json", "[{\"a\":1}, {\"a\":")), doctest::Contains("truncated JSON array"),
                       skytrain::Error);
  CHECK_THROWS_WITH_AS(all_rows(t.write("t2.json", "[{\"a\":1} {\"a\":2}]")), doctest::Contains("byte offset 9"),
                       skytrain::Error);
  CHECK_THROWS_WITH_AS(all_rows(t.write("t3.json", "[{\"a\":\"unterminated}]")), doctest::Contains("inside a string"),
                       skytrain::Error);
  CHECK_THROWS_WITH_AS(all_rows(t.write("t4.json", "[{\"a\":1}] x")), doctest::Contains("after the end"),
                       skytrain::Error);
}

TEST_CASE("import: data file selection by split and config, like datasets") {
  std::vector<std::string> repo = {".gitattributes",
                                   "README.md",
                                   "data/train-00000-of-00002.parquet",
                                   "data/train-00001-of-00002.parquet",
                                   "data/test-00000-of-00001.parquet",
                                   "dataset_info.json"};
  DataFileSelection sel;
  CHECK(select_data_files(repo, sel, "r") ==
        std::vector<std::string>{"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"});
  sel.split = "test";
  CHECK(select_data_files(repo, sel, "r") == std::vector<std::string>{"data/test-00000-of-00001.parquet"});
  sel.split = "validation";
  CHECK_THROWS_WITH(select_data_files(repo, sel, "r"), doctest::Contains("split \"validation\" not found (splits: test, train)"));

  // No split names at all: everything is train.
  std::vector<std::string> flat = {"a.jsonl", "b.jsonl"};
  CHECK(select_data_files(flat, DataFileSelection{}, "r").size() == 2);

  std::vector<std::string> configs = {"en/train.jsonl", "en/validation.jsonl", "fr/train.jsonl"};
  DataFileSelection c;
  c.config = "fr";
  CHECK(select_data_files(configs, c, "r") == std::vector<std::string>{"fr/train.jsonl"});
  c.config = "de";
  CHECK_THROWS_WITH(select_data_files(configs, c, "r"), doctest::Contains("config \"de\" not found"));

  DataFileSelection g;
  g.patterns = {"en/*.jsonl"};
  CHECK(select_data_files(configs, g, "r") == std::vector<std::string>{"en/train.jsonl", "en/validation.jsonl"});
  g.patterns = {"nothing/*"};
  CHECK_THROWS_WITH(select_data_files(configs, g, "r"), doctest::Contains("no file matches --data-files"));
}
