#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/pipeline/token_shard.hpp"
#include "unit_support.hpp"

using namespace skytrain;
using namespace skytrain::pipeline;
namespace stdfs = std::filesystem;

using skytrain::test::TempDir;

namespace {
stdfs::path write_sample(const stdfs::path& dir) {
  auto file = dir / "tokens.bin";
  TokenShardWriter w(file, sha256_hex("tok"), sha256_hex("tpl"));
  std::vector<uint32_t> a{1, 2, 3}, b{}, c{151643, 7};
  std::vector<uint8_t> ma{0, 1, 1}, mb{}, mc{1, 0};
  w.add(a, ma);
  w.add(b, mb);
  w.add(c, mc);
  CHECK_FALSE(stdfs::exists(file));
  w.commit();
  return file;
}
}  // namespace

TEST_CASE("token shards round-trip ids, masks and hashes") {
  TempDir d;
  auto file = write_sample(d.path);
  CHECK_FALSE(stdfs::exists(d.path / "tokens.bin.mask"));
  TokenShardReader r(file);
  REQUIRE(r.size() == 3);
  CHECK(r.info().num_tokens == 5);
  CHECK(r.info().tokenizer_sha256 == sha256_hex("tok"));
  CHECK(r.info().template_sha256 == sha256_hex("tpl"));
  auto e0 = r.example(0);
  CHECK(std::vector<uint32_t>(e0.ids.begin(), e0.ids.end()) == std::vector<uint32_t>{1, 2, 3});
  CHECK(std::vector<uint8_t>(e0.mask.begin(), e0.mask.end()) == std::vector<uint8_t>{0, 1, 1});
  CHECK(r.example(1).ids.empty());
  auto e2 = r.example(2);
  CHECK(e2.ids[0] == 151643);
  CHECK(e2.mask[0] == 1);
  CHECK_THROWS_AS(r.example(3), Error);
}

TEST_CASE("an abandoned writer publishes nothing") {
  TempDir d;
  {
    TokenShardWriter w(d.path / "tokens.bin", sha256_hex("a"), sha256_hex("b"));
    std::vector<uint32_t> ids{1};
    std::vector<uint8_t> mask{1};
    w.add(ids, mask);
  }
  CHECK(stdfs::is_empty(d.path));
}

TEST_CASE("corrupt and truncated shards are rejected with the file name") {
  TempDir d;
  auto file = write_sample(d.path);
  std::string bytes = read_file(file);

  write_file_atomic(file, bytes.substr(0, bytes.size() - 3));
  CHECK_THROWS_WITH_AS(TokenShardReader{file}, doctest::Contains("truncated"), Error);
  write_file_atomic(file, bytes.substr(0, 100));
  CHECK_THROWS_WITH_AS(TokenShardReader{file}, doctest::Contains("tokens.bin"), Error);

  std::string bad = bytes;
  bad[0] = 'X';
  write_file_atomic(file, bad);
  CHECK_THROWS_WITH_AS(TokenShardReader{file}, doctest::Contains("bad magic"), Error);

  bad = bytes;
  bad[280] = 7;  // first mask byte: 5 ids end at 276, padded to 8 => the mask starts at 280
  write_file_atomic(file, bad);
  CHECK_THROWS_WITH_AS(TokenShardReader{file}, doctest::Contains("mask"), Error);

  bad = bytes;
  bad[bad.size() - 8] = 9;  // last offset no longer equals num_tokens
  write_file_atomic(file, bad);
  CHECK_THROWS_WITH_AS(TokenShardReader{file}, doctest::Contains("offsets"), Error);

  CHECK_THROWS_AS(TokenShardWriter(d.path / "x.bin", "nothex", sha256_hex("b")), Error);
}
