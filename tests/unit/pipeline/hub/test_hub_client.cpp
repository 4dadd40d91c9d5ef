#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/hub/hub_client.hpp"
#include "unit_support.hpp"

using namespace skytrain::pipeline::hub;
using skytrain::test::ScopedEnv;
using skytrain::test::TempDir;
namespace stdfs = std::filesystem;

TEST_CASE("hub: Link header parsing finds rel=next") {
  CHECK(parse_link_next(R"(<https://huggingface.co/api/datasets/a/b/tree/main?cursor=abc>; rel="next")") ==
        std::optional<std::string>("https://huggingface.co/api/datasets/a/b/tree/main?cursor=abc"));
  CHECK(parse_link_next(R"(<http://x/1>; rel="prev", <http://x/3>; rel="next")") == std::optional<std::string>("http://x/3"));
  CHECK_FALSE(parse_link_next(R"(<http://x/1>; rel="last")").has_value());
  CHECK_FALSE(parse_link_next("").has_value());
}

TEST_CASE("hub: tree listings keep files with size, git oid and LFS sha256") {
  auto files = parse_tree_page(R"([
    {"type":"directory","oid":"d","size":0,"path":"data"},
    {"type":"file","oid":"1111","size":12,"path":"README.md"},
    {"type":"file","oid":"2222","size":135,"path":"data/train.parquet",
     "lfs":{"oid":"abcd","size":117000000,"pointerSize":135}}])",
                               "test");
  REQUIRE(files.size() == 2);
  CHECK(files[0].path == "README.md");
  CHECK(files[0].lfs_sha256.empty());
  CHECK(files[1].size == 117000000);
  CHECK(files[1].lfs_sha256 == "abcd");
  CHECK_THROWS_WITH_AS(parse_tree_page("{}", "repo x"), doctest::Contains("not a JSON array"), skytrain::Error);
  CHECK_THROWS_AS(parse_tree_page("[{\"type\":\"file\",\"path\":\"a\"}]", "x"), skytrain::Error);
}

TEST_CASE("hub: URL encoding of revisions and paths") {
  CHECK(url_encode_segment("refs/convert/parquet") == "refs%2Fconvert%2Fparquet");
  CHECK(url_encode_path("data/train 1.parquet") == "data/train%201.parquet");
  HubConfig cfg;
  cfg.endpoint = "http://127.0.0.1:1";
  HubClient c(cfg);
  CHECK(c.resolve_url(RepoKind::dataset, "a/b", "main", "data/x.parquet") ==
        "http://127.0.0.1:1/datasets/a/b/resolve/main/data/x.parquet");
  CHECK(c.resolve_url(RepoKind::model, "a/b", "v1.0", "config.json") == "http://127.0.0.1:1/a/b/resolve/v1.0/config.json");
}

TEST_CASE("hub: downloaded files are checked against size, sha256 and git blob ids") {
  TempDir dir;
  auto p = dir.write("f", "hello\n");
  HubFile f;
  f.path = "f";
  f.size = 6;
  f.git_oid = "ce013625030ba8dba906f756967f9e9ca394464a";  // git hash-object of "hello\n"
  CHECK(verify_hub_file(f, p, "f") == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  f.git_oid = "0000000000000000000000000000000000000000";
  CHECK_THROWS_WITH(verify_hub_file(f, p, "file f"), doctest::Contains("checksum mismatch: file f"));
  f.lfs_sha256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  CHECK_NOTHROW(verify_hub_file(f, p, "f"));  // LFS sha256 wins over the pointer's git id
  f.size = 7;
  CHECK_THROWS_WITH(verify_hub_file(f, p, "file f"), doctest::Contains("lists 7 bytes but 6 bytes"));
}

TEST_CASE("hub: configuration from the environment") {
  {
    ScopedEnv env{{"HF_ENDPOINT", "http://127.0.0.1:9/"}, {"HF_TOKEN", "tok"}};
    auto c = HubConfig::from_env();
    CHECK(c.endpoint == "http://127.0.0.1:9");
    CHECK(c.token == "tok");
  }
  ScopedEnv env{{"HF_ENDPOINT", nullptr}, {"HF_TOKEN", nullptr}};
  CHECK(HubConfig::from_env().endpoint == "https://huggingface.co");
}
