// Runs a Filesystem as a FUSE mount until it is unmounted or the process gets SIGTERM/SIGINT/SIGHUP.
//
// Order of events: create the session with our options, install libfuse's signal handlers (they
// call fuse_session_exit), mount, call `on_mounted` (the daemon tells its parent the mount is
// ready), serve with fuse_session_loop_mt, then - with the kernel no longer sending requests -
// run Filesystem::shutdown() (drains pending uploads), and only then unmount and destroy the
// session. Everything is RAII, so an exception on the way still unmounts.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "mount/filesystem.hpp"
#include "mount/fuse_ops.hpp"

namespace skytrain::fs {

struct FuseSessionSettings {
  std::string mountpoint;
  std::vector<std::string> options;  // -o options for libfuse
  int threads = 32;
  FuseTuning tuning;
};

// Returns when the session has ended; throws skytrain::Error if mounting failed.
void run_fuse_session(Filesystem& fs, const FuseSessionSettings& settings, const std::function<void()>& on_mounted);

// Blocks SIGTERM/SIGINT/SIGHUP in the calling thread while alive, so helper threads created
// meanwhile (store connections, fetch and upload pools) inherit the block and the signals reach
// the FUSE threads, whose handler ends the session.
class TerminationSignalsBlocked {
 public:
  TerminationSignalsBlocked();
  ~TerminationSignalsBlocked();
  TerminationSignalsBlocked(const TerminationSignalsBlocked&) = delete;
  TerminationSignalsBlocked& operator=(const TerminationSignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

}  // namespace skytrain::fs
