// Pretokenized shard format: what skytrain-pretokenize writes and the trainer reads.
//
// One file per shard, `tokens.bin`, little-endian, laid out so that the whole file can be
// mmap'ed and every section is naturally aligned:
//
//   offset  size  field
//   0       8     magic "SKYTOKS\0"
//   8       4     version (1)
//   12      4     token dtype (1 = uint32)
//   16      8     num_examples
//   24      8     num_tokens
//   32      8     ids_offset      -> uint32 ids[num_tokens]
//   40      8     mask_offset     -> uint8 mask[num_tokens] (1 = trained), padded to 8 bytes
//   48      8     offsets_offset  -> int64 offsets[num_examples + 1]; example i is tokens
//                                    [offsets[i], offsets[i+1]); offsets[0] = 0
//   56      8     file_size
//   64      64    tokenizer sha256 (hex ASCII)
//   128     64    chat template sha256 (hex ASCII)
//   192     64    reserved (zero)
//   256           ids section starts
//
// Why one file with sections rather than three files: a shard is published with one atomic
// rename, so a reader can never pair ids with the mask of another run. The writer streams ids
// straight into the file and spools masks to a side file it appends at commit, so memory stays
// at 8 bytes per example (the offsets) however large the shard is.
//
// The reader validates the header against the file size and the offsets table (monotonic,
// ending at num_tokens) and the mask values, so a truncated or corrupt shard is an error that
// names the file, not a crash or silent garbage. Content checksums live in the stage manifest.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "skytrain/common/files.hpp"

namespace skytrain::pipeline {

inline constexpr char kTokenShardMagic[8] = {'S', 'K', 'Y', 'T', 'O', 'K', 'S', '\0'};
inline constexpr uint32_t kTokenShardVersion = 1;
inline constexpr uint32_t kTokenDtypeU32 = 1;
inline constexpr size_t kTokenShardHeaderSize = 256;
inline constexpr std::string_view kTokenShardFile = "tokens.bin";

struct TokenShardInfo {
  uint64_t num_examples = 0;
  uint64_t num_tokens = 0;
  std::string tokenizer_sha256;
  std::string template_sha256;
};

struct ExampleView {
  std::span<const uint32_t> ids;
  std::span<const uint8_t> mask;
};

class TokenShardReader {
 public:
  explicit TokenShardReader(const std::filesystem::path& file);
  const TokenShardInfo& info() const { return info_; }
  size_t size() const { return static_cast<size_t>(info_.num_examples); }
  ExampleView example(size_t i) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  MappedFile map_;
  TokenShardInfo info_;
  const uint32_t* ids_ = nullptr;
  const uint8_t* mask_ = nullptr;
  const int64_t* offsets_ = nullptr;
};

class TokenShardWriter {
 public:
  TokenShardWriter(const std::filesystem::path& file, std::string tokenizer_sha256, std::string template_sha256);
  ~TokenShardWriter();
  TokenShardWriter(const TokenShardWriter&) = delete;
  TokenShardWriter& operator=(const TokenShardWriter&) = delete;

  void add(std::span<const uint32_t> ids, std::span<const uint8_t> mask);
  uint64_t num_examples() const { return offsets_.size() - 1; }
  uint64_t num_tokens() const { return static_cast<uint64_t>(offsets_.back()); }
  // Appends the mask and offsets, writes the header, fsyncs and publishes the file.
  void commit();

 private:
  std::filesystem::path path_;
  std::string tokenizer_sha_, template_sha_;
  AtomicFile out_;
  AtomicFile mask_spool_;  // never committed: removed on destruction
  std::vector<int64_t> offsets_{0};
  // Examples are small (a few KB), so ids and masks are gathered here and written in large
  // pieces: one syscall per example and file cost more than the copying.
  std::string ids_buf_, mask_buf_;
  void flush_buffers();
};

}  // namespace skytrain::pipeline
