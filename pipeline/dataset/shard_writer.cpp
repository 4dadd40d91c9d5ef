#include "shard_writer.hpp"

namespace skytrain::pipeline::dataset {

ShardFile::ShardFile(const std::filesystem::path& final_path) : file_(final_path) {
  buf_.reserve(kFlushAt + 65536);
  file_.write_back_every(kStreamWriteBackBytes);
}

void ShardFile::flush() {
  if (buf_.empty()) return;
  sha_.update(buf_);
  file_.write(buf_);
  info_.bytes += buf_.size();
  buf_.clear();
}

ShardFileInfo ShardFile::commit() {
  flush();
  info_.sha256 = sha_.hex();
  file_.commit();
  return info_;
}

}  // namespace skytrain::pipeline::dataset
