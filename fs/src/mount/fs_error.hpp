// The error a filesystem operation reports to the kernel. Operations throw FsError(errno) for
// POSIX outcomes (ENOENT, ENOTDIR, EROFS, ...); store failures arrive as StoreError and are
// mapped by to_errno(), so the FUSE layer has one place that turns exceptions into replies.
#pragma once
#include <cerrno>
#include <exception>
#include <string>

namespace skytrain::fs {

class FsError : public std::exception {
 public:
  explicit FsError(int err, std::string what = {}) : err_(err), what_(std::move(what)) {}
  int err() const { return err_; }
  const char* what() const noexcept override { return what_.empty() ? "filesystem error" : what_.c_str(); }

 private:
  int err_;
  std::string what_;
};

// The errno a reader should see for the exception in flight (call inside a catch block).
// ENOENT/EACCES/EROFS/... pass through; store failures that are not about the key (ESTALE after
// an object changed under a reader, timeouts, 5xx after retries) become EIO.
int current_exception_errno(bool log_it = true);

}  // namespace skytrain::fs
