#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/common/stage_manifest.hpp"
#include "unit_support.hpp"

using namespace skytrain;
namespace stdfs = std::filesystem;

using skytrain::test::TempDir;

TEST_CASE("sha256 matches the FIPS 180-2 vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("ab");
  h.update("c");
  CHECK(h.hex() == sha256_hex("abc"));
}

TEST_CASE("hub ids are validated") {
  CHECK_NOTHROW(validate_hub_id("mlabonne/FineTome-100k", "--dataset"));
  CHECK_NOTHROW(validate_hub_id("gpt2", "--model"));
  CHECK_THROWS_WITH_AS(validate_hub_id("a/../b", "--dataset"), doctest::Contains("--dataset"), Error);
  CHECK_THROWS_AS(validate_hub_id("", "--model"), Error);
  CHECK_THROWS_AS(validate_hub_id("/etc/passwd", "--model"), Error);
  CHECK_THROWS_AS(validate_hub_id("a//b", "--model"), Error);
  CHECK_THROWS_AS(validate_hub_id("a/b/", "--model"), Error);
  CHECK_THROWS_AS(validate_hub_id("a/\nb", "--model"), Error);
  CHECK_THROWS_AS(validate_hub_id("a\\b", "--model"), Error);
}

TEST_CASE("json writer escapes like json.dumps(ensure_ascii=False)") {
  CHECK(json_quote("a\"b\\c\n\x01 é") == "\"a\\\"b\\\\c\\n\\u0001 é\"");
  JsonWriter w;
  w.begin_object().key("a").value(int64_t{1}).key("b").begin_array().value("x").null().value(true).end_array();
  w.key("c").begin_object().end_object().end_object();
  CHECK(w.str() == R"({"a":1,"b":["x",null,true],"c":{}})");
}

TEST_CASE("atomic files appear only on commit and temp files are removed otherwise") {
  TempDir d;
  auto target = d.path / "sub" / "out.bin";
  {
    AtomicFile f(target);
    f.write("hello");
    CHECK_FALSE(stdfs::exists(target));
  }
  CHECK_FALSE(stdfs::exists(target));
  CHECK(stdfs::is_empty(d.path / "sub"));
  {
    AtomicFile f(target);
    f.write("hello");
    f.commit();
  }
  CHECK(read_file(target) == "hello");
  write_file_atomic(target, "again");
  CHECK(read_file(target) == "again");
  MappedFile m(target);
  CHECK(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()) == "again");
  CHECK(sha256_file_hex(target) == sha256_hex("again"));
  CHECK_THROWS_WITH_AS(read_file(d.path / "missing"), doctest::Contains("missing"), Error);
}

TEST_CASE("stage manifests are done only with the same fingerprint") {
  TempDir d;
  auto fp = Fingerprint().add("tool", "x").add("shard_size", 10).hex();
  auto fp2 = Fingerprint().add("tool", "x").add("shard_size", 11).hex();
  CHECK(fp != fp2);
  auto m = d.path / "manifest.json";
  CHECK_FALSE(stage_is_done(m, fp));
  write_file_atomic(m, "{\"fingerprint\":\"" + fp + "\"}");
  CHECK(stage_is_done(m, fp));
  CHECK_FALSE(stage_is_done(m, fp2));
  write_file_atomic(m, "{\"fingerprint\":");
  CHECK_FALSE(stage_is_done(m, fp));
}
