// safetensors format: byte-identical round trip, header layout, and a clear error for every kind
// of corruption the reader validates.
#include "trainer_doctest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "trainer_test_util.hpp"

using namespace skytrain;
using namespace skytrain::trainer;

namespace {

std::vector<uint8_t> bytes_of(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

std::string write_sample(const std::filesystem::path& p) {
  auto a = bytes_of(2 * 3 * 4, 1), b = bytes_of(5 * 2, 9), c = bytes_of(4 * 2, 3);
  std::vector<TensorBytes> ts{{"a.weight", DType::F32, {2, 3}, a}, {"b.bias", DType::BF16, {5}, b}, {"c", DType::F16, {2, 2}, c}};
  write_safetensors(p, ts);
  return read_file(p);
}

void overwrite(const std::filesystem::path& p, const std::string& data) {
  UniqueFd fd = open_or_fail(p, O_WRONLY | O_TRUNC | O_CREAT);
  write_all(fd.get(), data.data(), data.size(), p);
}

std::string error_of(const std::filesystem::path& p) {
  try {
    SafetensorsFile f(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors: header layout and byte-identical round trip") {
  trainer_test::TempDir tmp;
  const auto p1 = tmp.path / "one.safetensors", p2 = tmp.path / "two.safetensors";
  const std::string bytes = write_sample(p1);
  // u64 length, JSON padded with spaces to 8 bytes, __metadata__ first.
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  CHECK(n % 8 == 0);
  const std::string header = bytes.substr(8, n);
  CHECK((header.rfind("{\"__metadata__\":{\"format\":\"pt\"},\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", 0) == 0));
  CHECK(header.back() == ' ');

  SafetensorsFile f(p1);
  REQUIRE(f.tensors().size() == 3);
  CHECK(f.metadata().at("format") == "pt");
  CHECK(f.at("b.bias").dtype == DType::BF16);
  CHECK((f.at("b.bias").shape == std::vector<int64_t>{5}));
  std::vector<std::vector<uint8_t>> data;
  std::vector<TensorBytes> ts;
  for (const auto& t : f.tensors()) data.push_back(f.read(t));
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const auto& t = f.tensors()[i];
    ts.push_back({t.name, t.dtype, t.shape, data[i]});
  }
  write_safetensors(p2, ts, f.metadata());
  CHECK(read_file(p2) == bytes);
}

TEST_CASE("safetensors: corrupt and truncated files are clear errors") {
  trainer_test::TempDir tmp;
  const auto p = tmp.path / "bad.safetensors";
  const std::string good = write_sample(p);

  overwrite(p, good.substr(0, good.size() - 3));
  CHECK(error_of(p).find("truncated") != std::string::npos);

  overwrite(p, good + "xx");
  CHECK(error_of(p).find("trailing garbage") != std::string::npos);

  overwrite(p, good.substr(0, 5));
  CHECK(error_of(p).find("shorter than the 8-byte header length") != std::string::npos);

  std::string huge = good;
  huge[6] = '\x01';  // header length ~2^48
  overwrite(p, huge);
  CHECK(error_of(p).find("exceeds the 100 MiB limit") != std::string::npos);

  std::string past = good;
  past[0] = static_cast<char>(static_cast<uint8_t>(past[0]) + 64);  // longer than the file
  past[1] = '\x10';
  overwrite(p, past);
  CHECK(error_of(p).find("runs past the end of the file") != std::string::npos);

  std::string badjson = good;
  badjson[8] = '[';
  overwrite(p, badjson);
  CHECK(error_of(p).find("not valid JSON") != std::string::npos);

  auto patch = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    REQUIRE(from.size() == to.size());
    s.replace(at, from.size(), to);
    overwrite(p, s);
    return error_of(p);
  };
  CHECK(patch("\"F16\"", "\"I16\"").find("unsupported dtype \"I16\"") != std::string::npos);
  CHECK(patch("[2,3]", "[2,4]").find("tensor \"a.weight\": data_offsets [0, 24] hold 24 bytes but shape and dtype F32 need 32") != std::string::npos);
  CHECK(patch("[0,24]", "[1,25]").find("must be contiguous") != std::string::npos);
}

TEST_CASE("safetensors: sharded model with index") {
  trainer_test::TempDir tmp;
  auto a = bytes_of(8, 1), b = bytes_of(8, 2);
  write_safetensors(tmp.path / "model-00001-of-00002.safetensors", std::vector<TensorBytes>{{"x", DType::F32, {2}, a}});
  write_safetensors(tmp.path / "model-00002-of-00002.safetensors", std::vector<TensorBytes>{{"y", DType::F32, {2}, b}});
  write_file_atomic(tmp.path / "model.safetensors.index.json",
                    R"({"metadata":{"total_size":16},"weight_map":{"x":"model-00001-of-00002.safetensors","y":"model-00002-of-00002.safetensors"}})");
  SafetensorsModel m(tmp.path);
  CHECK(m.sharded());
  CHECK((m.names() == std::vector<std::string>{"x", "y"}));
  CHECK(m.file_of("y")->path().filename() == "model-00002-of-00002.safetensors");
  CHECK(m.file_of("y")->read(*m.find("y")) == b);

  write_file_atomic(tmp.path / "model.safetensors.index.json",
                    R"({"metadata":{"total_size":16},"weight_map":{"x":"model-00002-of-00002.safetensors","y":"model-00002-of-00002.safetensors"}})");
  try {
    SafetensorsModel bad(tmp.path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("weight_map says \"x\" is in model-00002-of-00002.safetensors but that file has no such tensor") != std::string::npos);
  }
}
