#include "skytrain/pipeline/token_shard.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <vector>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline {
namespace {

static_assert(std::endian::native == std::endian::little, "token shards are little-endian; add byte swaps");
// TokenShardWriter gathers this many bytes of ids before writing them out.
constexpr size_t kFlushBytes = size_t{1} << 20;

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

uint64_t pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

TokenShardReader::TokenShardReader(const std::filesystem::path& file) : path_(file), map_(file) {
  const auto where = path_.string();
  if (map_.size() < kTokenShardHeaderSize)
    fail("{}: truncated token shard ({} bytes, the header alone is {})", where, map_.size(), kTokenShardHeaderSize);
  const uint8_t* h = map_.data();
  if (std::memcmp(h, kTokenShardMagic, 8) != 0) fail("{}: not a skytrain token shard (bad magic)", where);
  auto version = load<uint32_t>(h + 8);
  if (version != kTokenShardVersion)
    fail("{}: token shard version {} is not supported (this build reads version {})", where, version, kTokenShardVersion);
  auto dtype = load<uint32_t>(h + 12);
  if (dtype != kTokenDtypeU32) fail("{}: unsupported token dtype {}", where, dtype);
  info_.num_examples = load<uint64_t>(h + 16);
  info_.num_tokens = load<uint64_t>(h + 24);
  uint64_t ids_off = load<uint64_t>(h + 32), mask_off = load<uint64_t>(h + 40), offs_off = load<uint64_t>(h + 48);
  uint64_t file_size = load<uint64_t>(h + 56);
  info_.tokenizer_sha256.assign(reinterpret_cast<const char*>(h + 64), 64);
  info_.template_sha256.assign(reinterpret_cast<const char*>(h + 128), 64);
  if (file_size != map_.size())
    fail("{}: truncated or extended token shard: header says {} bytes, file has {}", where, file_size, map_.size());
  const uint64_t n = info_.num_tokens, e = info_.num_examples;
  // Layout is fully determined by the counts; anything else is corruption.
  if (n > (uint64_t{1} << 40) || e > n + 1)
    fail("{}: corrupt header: {} examples, {} tokens", where, e, n);
  if (ids_off != kTokenShardHeaderSize || mask_off != pad8(ids_off + 4 * n) || offs_off != pad8(mask_off + n) ||
      file_size != offs_off + 8 * (e + 1))
    fail("{}: corrupt header: section offsets do not match the counts", where);
  if (!is_hex64(info_.tokenizer_sha256) || !is_hex64(info_.template_sha256))
    fail("{}: corrupt header: tokenizer/template hashes are not sha256 hex", where);
  ids_ = reinterpret_cast<const uint32_t*>(map_.data() + ids_off);
  mask_ = map_.data() + mask_off;
  offsets_ = reinterpret_cast<const int64_t*>(map_.data() + offs_off);
  if (offsets_[0] != 0 || static_cast<uint64_t>(offsets_[e]) != n)
    fail("{}: corrupt offsets table (first {}, last {}, expected 0 and {})", where, offsets_[0], offsets_[e], n);
  for (uint64_t i = 0; i < e; ++i)
    if (offsets_[i + 1] < offsets_[i]) fail("{}: corrupt offsets table at example {}", where, i);
  for (uint64_t i = 0; i < n; ++i)
    if (mask_[i] > 1) fail("{}: corrupt loss mask at token {} (value {})", where, i, mask_[i]);
}

ExampleView TokenShardReader::example(size_t i) const {
  if (i >= info_.num_examples) fail("{}: example {} out of range ({} examples)", path_.string(), i, info_.num_examples);
  auto b = static_cast<size_t>(offsets_[i]), e = static_cast<size_t>(offsets_[i + 1]);
  return {{ids_ + b, e - b}, {mask_ + b, e - b}};
}

TokenShardWriter::TokenShardWriter(const std::filesystem::path& file, std::string tokenizer_sha256,
                                   std::string template_sha256)
    : path_(file),
      tokenizer_sha_(std::move(tokenizer_sha256)),
      template_sha_(std::move(template_sha256)),
      out_(file),
      mask_spool_(std::filesystem::path(file.string() + ".mask")) {
  if (!is_hex64(tokenizer_sha_) || !is_hex64(template_sha_))
    fail("{}: tokenizer and template hashes must be sha256 hex", path_.string());
  // Not the mask spool: it is read back and deleted, and need never reach the disk.
  out_.write_back_every(kStreamWriteBackBytes);
  std::vector<uint8_t> zeros(kTokenShardHeaderSize, 0);
  out_.write(zeros.data(), zeros.size());
}

TokenShardWriter::~TokenShardWriter() = default;

void TokenShardWriter::add(std::span<const uint32_t> ids, std::span<const uint8_t> mask) {
  if (ids.size() != mask.size())
    fail("{}: example {} has {} ids but {} mask values", path_.string(), num_examples(), ids.size(), mask.size());
  ids_buf_.append(reinterpret_cast<const char*>(ids.data()), ids.size_bytes());
  mask_buf_.append(reinterpret_cast<const char*>(mask.data()), mask.size());
  offsets_.push_back(offsets_.back() + static_cast<int64_t>(ids.size()));
  if (ids_buf_.size() >= kFlushBytes) flush_buffers();
}

void TokenShardWriter::flush_buffers() {
  out_.write(ids_buf_);
  mask_spool_.write(mask_buf_);
  ids_buf_.clear();
  mask_buf_.clear();
}

void TokenShardWriter::commit() {
  flush_buffers();
  const uint64_t n = num_tokens(), e = num_examples();
  const uint64_t ids_off = kTokenShardHeaderSize;
  const uint64_t mask_off = pad8(ids_off + 4 * n);
  const uint64_t offs_off = pad8(mask_off + n);
  const uint64_t file_size = offs_off + 8 * (e + 1);
  const char zeros[8] = {};
  out_.write(zeros, mask_off - (ids_off + 4 * n));

  // Copy the spooled mask into place.
  std::vector<char> buf(1 << 20);
  uint64_t copied = 0;
  while (copied < n) {
    size_t got = pread_full(mask_spool_.fd(), buf.data(), std::min<uint64_t>(buf.size(), n - copied), copied,
                            mask_spool_.temp_path());
    if (got == 0) fail("{}: mask spool ended early", path_.string());
    out_.write(buf.data(), got);
    copied += got;
  }
  out_.write(zeros, offs_off - (mask_off + n));
  out_.write(offsets_.data(), offsets_.size() * sizeof(int64_t));

  uint8_t h[kTokenShardHeaderSize] = {};
  std::memcpy(h, kTokenShardMagic, 8);
  store<uint32_t>(h + 8, kTokenShardVersion);
  store<uint32_t>(h + 12, kTokenDtypeU32);
  store<uint64_t>(h + 16, e);
  store<uint64_t>(h + 24, n);
  store<uint64_t>(h + 32, ids_off);
  store<uint64_t>(h + 40, mask_off);
  store<uint64_t>(h + 48, offs_off);
  store<uint64_t>(h + 56, file_size);
  std::memcpy(h + 64, tokenizer_sha_.data(), 64);
  std::memcpy(h + 128, template_sha_.data(), 64);
  ssize_t w = ::pwrite(out_.fd(), h, sizeof h, 0);
  if (w != static_cast<ssize_t>(sizeof h)) fail_errno(fmt::format("cannot write header of {}", path_.string()));
  out_.commit();
}

}  // namespace skytrain::pipeline
