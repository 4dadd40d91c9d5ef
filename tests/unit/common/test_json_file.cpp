// read_json_file reads a file straight into simdjson's padded buffer: same bytes as read_file,
// parseable in place, and a clear error naming the file when it is missing.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"

namespace stdfs = std::filesystem;

TEST_CASE("read_json_file: bytes, parse in place, empty file, missing file") {
  stdfs::path dir = stdfs::temp_directory_path() / ("skytrain-json-file-" + std::to_string(::getpid()));
  stdfs::create_directories(dir);
  std::string body = "{\"a\": [1, 2, 3], \"s\": \"" + std::string(100000, 'x') + "\"}";
  skytrain::write_file_atomic(dir / "x.json", body);
  simdjson::padded_string p = skytrain::read_json_file(dir / "x.json");
  CHECK(std::string_view(p) == body);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  REQUIRE(parser.parse(p).get(root) == simdjson::SUCCESS);
  CHECK(root["a"].at(2).get_int64().value() == 3);

  skytrain::write_file_atomic(dir / "empty.json", "");
  CHECK(skytrain::read_json_file(dir / "empty.json").size() == 0);

  std::string missing = (dir / "missing.json").string();
  CHECK_THROWS_WITH_AS(skytrain::read_json_file(missing), doctest::Contains(missing.c_str()), skytrain::Error);
  stdfs::remove_all(dir);
}
