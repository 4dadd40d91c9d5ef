#include "dataset/shard_writer.hpp"

#include <fcntl.h>

namespace skytrain::pipeline::dataset {

ShardFile::ShardFile(const std::filesystem::path& final_path) : file_(final_path) { buf_.reserve(kFlushAt + 65536); }

void ShardFile::flush() {
  if (buf_.empty()) return;
  sha_.update(buf_);
  file_.write(buf_);
  info_.bytes += buf_.size();
  buf_.clear();
  // Start write-back of what is written so far, so that the fsync in commit() finds little left
  // to do and disk time overlaps with decoding (a large shard otherwise ends in one long flush).
  // Best effort: filesystems without it (some FUSE mounts) just leave it to fsync.
  if (info_.bytes - synced_ >= kWritebackEvery) {
    ::sync_file_range(file_.fd(), static_cast<off_t>(synced_), static_cast<off_t>(info_.bytes - synced_),
                      SYNC_FILE_RANGE_WRITE);
    synced_ = info_.bytes;
  }
}

ShardFileInfo ShardFile::commit() {
  flush();
  info_.sha256 = sha_.hex();
  file_.commit();
  return info_;
}

}  // namespace skytrain::pipeline::dataset
