// Open files. The kernel's file handle (fuse_file_info::fh) is a number in the HandleTable,
// which owns the handle object, so handles are released by RAII when RELEASE arrives (or when the
// filesystem goes away) and a stale number is an error rather than a dangling pointer.
//
// FileHandle is the interface the FUSE read/write/flush/fsync/release operations dispatch to. The
// read path implements ReadHandle (read-only, with read-ahead); the write path implements its own
// handle type (write-back buffer, uploads) by overriding write/flush/fsync/release.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "mount/fs_error.hpp"
#include "mount/inode_table.hpp"
#include "prefetch/prefetcher.hpp"
#include "prefetch/scan_ahead.hpp"

namespace skytrain::fs {

class FileHandle {
 public:
  explicit FileHandle(InodePtr inode) : inode_(std::move(inode)) {}
  virtual ~FileHandle() = default;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  const InodePtr& inode() const { return inode_; }

  virtual ReadResult read(uint64_t offset, uint64_t length) = 0;
  virtual size_t write(uint64_t /*offset*/, std::string_view /*data*/) { throw FsError(EBADF, "not open for writing"); }
  virtual void flush() {}                     // close() of one descriptor
  // FLUSH with the pid of the closing process (fuse_req_ctx(req)->pid). The write path uses it to
  // tell a normal close from the implicit close of a process being killed by a signal (whose
  // half-written file must not be published). fuse_ops should call this one. Returns true when
  // it dropped the file's unsaved changes (the closing process was killed).
  virtual bool flush_by(pid_t /*pid*/) {
    flush();
    return false;
  }
  virtual void fsync(bool /*datasync*/) {}    // fsync()/fdatasync()
  virtual void release() {}                   // last close; the handle is destroyed afterwards

 private:
  InodePtr inode_;
};

// A read-only open of one object version (size and ETag as seen at open). A file read whole
// from its start is reported to `scan` (when given), which may then fetch the files after it;
// `whole` is such a file's body, fetched before the open.
class ReadHandle : public FileHandle {
 public:
  ReadHandle(InodePtr inode, ObjectStore& store, FetchPool& pool, MemoryBudget& budget,
             const ReadaheadConfig& cfg, std::string key, std::string etag, uint64_t size,
             ScanAhead* scan = nullptr, std::shared_ptr<ReadPart> whole = nullptr)
      : FileHandle(std::move(inode)), scan_(scan), key_(key),
        prefetcher_(store, pool, budget, cfg, std::move(key), std::move(etag), size, std::move(whole)) {}
  ReadResult read(uint64_t offset, uint64_t length) override {
    ReadResult r = prefetcher_.read(offset, length);
    if (scan_ && !reported_.load(std::memory_order_relaxed) && prefetcher_.read_whole() && !reported_.exchange(true))
      scan_->read_whole(key_);
    return r;
  }
  const Prefetcher& prefetcher() const { return prefetcher_; }

 private:
  ScanAhead* const scan_;
  const std::string key_;
  std::atomic<bool> reported_{false};
  Prefetcher prefetcher_;
};

class HandleTable {
 public:
  uint64_t add(std::shared_ptr<FileHandle> h);
  std::shared_ptr<FileHandle> get(uint64_t fh) const;  // throws FsError(EBADF)
  std::shared_ptr<FileHandle> remove(uint64_t fh);     // nullptr if unknown
  size_t size() const;
  // Every open handle (e.g. for draining uploads at shutdown).
  std::vector<std::shared_ptr<FileHandle>> all() const;

 private:
  mutable std::mutex mu_;
  uint64_t next_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<FileHandle>> handles_;
};

}  // namespace skytrain::fs
