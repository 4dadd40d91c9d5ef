// Open-file handles by number; see file_handle.hpp.
#include "mount/file_handle.hpp"

namespace skytrain::fs {

uint64_t HandleTable::add(std::shared_ptr<FileHandle> h) {
  std::lock_guard lk(mu_);
  uint64_t fh = next_++;
  handles_.emplace(fh, std::move(h));
  return fh;
}

std::shared_ptr<FileHandle> HandleTable::get(uint64_t fh) const {
  std::lock_guard lk(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) throw FsError(EBADF, "unknown file handle " + std::to_string(fh));
  return it->second;
}

std::shared_ptr<FileHandle> HandleTable::remove(uint64_t fh) {
  std::lock_guard lk(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return nullptr;
  auto h = std::move(it->second);
  handles_.erase(it);
  return h;
}

size_t HandleTable::size() const {
  std::lock_guard lk(mu_);
  return handles_.size();
}

std::vector<std::shared_ptr<FileHandle>> HandleTable::all() const {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<FileHandle>> out;
  for (auto& [fh, h] : handles_) out.push_back(h);
  return out;
}

}  // namespace skytrain::fs
