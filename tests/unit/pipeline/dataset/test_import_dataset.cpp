// End-to-end import of local files (no hub): manifests, idempotence, journal-based resume,
// --skip-bad-rows accounting, and "no manifest on error".
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "skytrain/common/files.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/pipeline/dataset/import_dataset.hpp"
#include "unit_support.hpp"

using namespace skytrain;
using namespace skytrain::pipeline;
using namespace skytrain::pipeline::dataset;
namespace stdfs = std::filesystem;

using skytrain::test::TempDir;

namespace {
std::string sharegpt_row(int i, const char* role2 = "gpt") {
  return "{\"conversations\":[{\"from\":\"human\",\"value\":\"q" + std::to_string(i) + "\"},{\"from\":\"" + role2 +
         "\",\"value\":\"a" + std::to_string(i) + "\"}],\"source\":\"s\",\"score\":" + std::to_string(i) + ".0}\n";
}

// Every file under dir (relative path -> sha256), journal excluded.
std::map<std::string, std::string> snapshot(const stdfs::path& dir) {
  std::map<std::string, std::string> m;
  for (auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != ".import-journal.json")
      m[stdfs::relative(e.path(), dir).string()] = sha256_file_hex(e.path());
  return m;
}

DatasetImportResult run(const DatasetImportOptions& o) {
  ProgressReporter p("test", ProgressReporter::Style::silent);
  hub::HubConfig cfg;
  cfg.endpoint = "http://127.0.0.1:1";  // never used for local sources
  return import_dataset(o, cfg, p);
}
}  // namespace

TEST_CASE("import: local JSONL import, manifests, second run does nothing") {
  TempDir t;
  {
    std::ofstream f(t.path / "in.jsonl");
    for (int i = 0; i < 23; ++i) f << sharegpt_row(i);
  }
  DatasetImportOptions o;
  o.source = (t.path / "in.jsonl").string();
  o.name = "me/ds";
  o.root = t.path / "root";
  o.shard_size = 5;
  auto r = run(o);
  CHECK_FALSE(r.already_done);
  CHECK(r.rows == 23);
  CHECK(r.shards == 5);
  CHECK(stdfs::exists(o.root / "raw/me/ds/00004/data.jsonl"));
  CHECK(stdfs::exists(o.root / "standardized/me/ds/manifest.json"));
  std::string manifest = read_file(o.root / "standardized/me/ds/manifest.json");
  CHECK(manifest.find("\"shard_count\": 5") != std::string::npos);
  CHECK(manifest.find("\"rows\": 23") != std::string::npos);
  CHECK(manifest.find(sha256_file_hex(o.root / "standardized/me/ds/00002/data.jsonl")) != std::string::npos);
  CHECK(manifest.find(sha256_hex(read_file(o.root / "raw/me/ds/manifest.json"))) != std::string::npos);
  // raw rows are the upstream lines
  CHECK(read_file(o.root / "raw/me/ds/00000/data.jsonl").substr(0, sharegpt_row(0).size()) == sharegpt_row(0));

  auto before = snapshot(o.root);
  auto again = run(o);
  CHECK(again.already_done);
  CHECK(snapshot(o.root) == before);

  // Another shard size is another import: shards are rewritten, extra shard folders removed.
  o.shard_size = 10;
  auto r3 = run(o);
  CHECK(r3.shards == 3);
  CHECK_FALSE(stdfs::exists(o.root / "raw/me/ds/00003"));
  CHECK_FALSE(stdfs::exists(o.root / "standardized/me/ds/00004"));
}

TEST_CASE("import: an interrupted import resumes after its journaled shards with identical bytes") {
  TempDir t;
  {
    std::ofstream f(t.path / "in.jsonl");
    for (int i = 0; i < 40; ++i) f << sharegpt_row(i);
  }
  DatasetImportOptions o;
  o.source = (t.path / "in.jsonl").string();
  o.name = "me/ds";
  o.root = t.path / "a";
  o.shard_size = 7;
  run(o);
  auto reference = snapshot(o.root);

  // Simulate a crash after shard 2 was journaled and shard 3 half-published: drop the manifests,
  // corrupt shard 4 (not in the journal any more), leave a stale temp file.
  o.root = t.path / "b";
  run(o);
  stdfs::remove(o.root / "raw/me/ds/manifest.json");
  stdfs::remove(o.root / "standardized/me/ds/manifest.json");
  std::ofstream(o.root / "standardized/me/ds/00004/data.jsonl") << "garbage\n";
  std::ofstream(o.root / "raw/me/ds/00005/.data.jsonl.tmp-1-2-3") << "partial";
  auto r = run(o);
  CHECK(r.shards_reused == 4);  // shards 0..3 still match the journal
  auto got = snapshot(o.root);
  CHECK(got == reference);
}

TEST_CASE("import: bad rows fail with shard and row, or are counted with --skip-bad-rows") {
  TempDir t;
  {
    std::ofstream f(t.path / "in.jsonl");
    for (int i = 0; i < 6; ++i) f << sharegpt_row(i);
    f << sharegpt_row(6, "robot");
    f << "{not json}\n";
    f << sharegpt_row(8);
  }
  DatasetImportOptions o;
  o.source = (t.path / "in.jsonl").string();
  o.name = "me/bad";
  o.root = t.path / "root";
  o.shard_size = 4;
  CHECK_THROWS_WITH(run(o), doctest::Contains("standardized shard 00001 row 2 (dataset row 6"));
  CHECK_FALSE(stdfs::exists(o.root / "standardized/me/bad/manifest.json"));
  CHECK_FALSE(stdfs::exists(o.root / "raw/me/bad/manifest.json"));

  o.skip_bad_rows = true;
  auto r = run(o);
  CHECK(r.rows == 7);
  CHECK(r.raw_rows == 8);
  CHECK(r.skipped == 2);
  std::string m = read_file(o.root / "standardized/me/bad/manifest.json");
  CHECK(m.find("\"skipped_rows\": 2") != std::string::npos);
  std::string raw_m = read_file(o.root / "raw/me/bad/manifest.json");
  CHECK(raw_m.find("\"skipped_rows\": 1") != std::string::npos);
}

TEST_CASE("import: malformed JSON names the file and byte offset; bad ids are refused before writing") {
  TempDir t;
  std::ofstream(t.path / "in.jsonl") << sharegpt_row(0) << "{\"conversations\": [}\n";
  DatasetImportOptions o;
  o.source = (t.path / "in.jsonl").string();
  o.name = "me/x";
  o.root = t.path / "root";
  std::string expected = "in.jsonl: row 1 (byte offset " + std::to_string(sharegpt_row(0).size()) + ")";
  CHECK_THROWS_WITH(run(o), doctest::Contains(expected.c_str()));
  o.name = "../evil";
  CHECK_THROWS(run(o));
  o.name = "a//b";
  CHECK_THROWS(run(o));
  CHECK_FALSE(stdfs::exists(t.path / "evil"));
}

TEST_CASE("import: JSON array directory source with several files reads them in path order") {
  TempDir t;
  stdfs::create_directories(t.path / "src/data");
  std::ofstream(t.path / "src/data/train-00001.json") << "[" << R"({"messages":[{"role":"user","content":"second"}]})" << "]";
  std::ofstream(t.path / "src/data/train-00000.json") << "[" << R"({"messages":[{"role":"user","content":"first"}]})" << "]";
  std::ofstream(t.path / "src/data/test-00000.json") << "[" << R"({"messages":[{"role":"user","content":"test"}]})" << "]";
  DatasetImportOptions o;
  o.source = (t.path / "src").string();
  o.name = "me/dir";
  o.root = t.path / "root";
  auto r = run(o);
  CHECK(r.rows == 2);
  CHECK(read_file(o.root / "standardized/me/dir/00000/data.jsonl") ==
        "{\"conversations\":[{\"role\":\"user\",\"content\":\"first\"}]}\n"
        "{\"conversations\":[{\"role\":\"user\",\"content\":\"second\"}]}\n");
}
