// One output shard file: rows appended as JSON Lines through a 1 MiB buffer into an AtomicFile,
// hashed (sha256) as they are written, published under its final name by commit() (fsync +
// rename), so that a shard file either is complete or does not exist under its name. Write-back
// is started as it goes (AtomicFile::write_back_every) so the final fsync does not stall on a
// whole shard.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "skytrain/common/files.hpp"
#include "skytrain/common/sha256.hpp"

namespace skytrain::pipeline::dataset {

struct ShardFileInfo {
  uint64_t rows = 0;
  uint64_t skipped = 0;
  uint64_t bytes = 0;
  std::string sha256;
};

class ShardFile {
 public:
  explicit ShardFile(const std::filesystem::path& final_path);
  // Appends one row and a newline.
  void add_row(std::string_view json) {
    buf_.append(json);
    buf_.push_back('\n');
    ++info_.rows;
    if (buf_.size() >= kFlushAt) flush();
  }
  void add_skipped() { ++info_.skipped; }
  uint64_t rows() const { return info_.rows; }
  // Publishes the file; returns its rows, size and sha256.
  ShardFileInfo commit();

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  void flush();
  AtomicFile file_;
  Sha256 sha_;
  std::string buf_;
  ShardFileInfo info_;
};

}  // namespace skytrain::pipeline::dataset
