// Daemon mode: the command returns only once the mount is ready, or fails with the reason.
//
// start() forks. The parent blocks on a pipe: the child sends "ready" after the kernel mount is
// up (the parent exits 0) or a one-line error (the parent prints it and exits 1); if the child
// dies without a word the parent reports its exit status. The child starts a new session,
// and after ready() detaches from the terminal (cwd "/", stdin/stdout to /dev/null, stderr to the
// log file or /dev/null). Fork happens before any thread exists.
#pragma once
#include <string>

#include "skytrain/common/unique_fd.hpp"

namespace skytrain::fs {

class Daemon {
 public:
  // In the parent this never returns. In the child it returns the daemon.
  static Daemon start(const std::string& log_file);

  void ready();                          // the mount is up: release the parent
  void fail(const std::string& reason);  // report a start-up failure to the parent
  bool reported() const { return !pipe_; }

 private:
  explicit Daemon(UniqueFd pipe, std::string log_file) : pipe_(std::move(pipe)), log_file_(std::move(log_file)) {}
  UniqueFd pipe_;
  std::string log_file_;
};

}  // namespace skytrain::fs
