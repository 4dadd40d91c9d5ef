// mkdir in the background: the PUT of the directory's marker object ("dir/", empty, with the
// mode, owner and times as metadata) is queued and the call returns at once.
//
// A synchronous PUT costs `cp -r` or `mkdir -p` one round trip per directory (21 of them, 0.5 s,
// for 600 files in 20 directories at 20 ms per request), while the files inside are already
// uploaded in the background (close() does not wait, write_path.hpp). The new directory is
// already complete in the mount (inode, DirectoryContents knows it empty), so nothing there
// needs the marker until something reads or rewrites the marker itself. While a marker is
// pending:
//  - lookup of the name waits for it (the inode may have been forgotten, and the store would
//    not show the directory yet), and so does a getattr that would HEAD it;
//  - opendir of the parent waits for the markers of its children before it LISTs;
//  - whatever rewrites, copies or deletes the marker waits first (chmod/chown/utimens of the
//    directory, rmdir, rename of or onto the directory), so an older PUT never lands on top;
//  - fsync of the parent directory, unmount and SIGTERM wait for them (like PendingDeletes).
// A PUT that fails after the client's retries is logged, and fsync of the parent directory
// reports it (EIO) once. With --wait-on-close, mkdir waits for its PUT, like close does.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "mount/pending_keys.hpp"
#include "store/object_store.hpp"
#include "upload/worker_pool.hpp"

namespace skytrain::fs {

class PendingMarkers {
 public:
  PendingMarkers(ObjectStore& store, size_t threads);
  ~PendingMarkers();  // drains

  void put(const std::string& key, PutOptions opts);  // queues PUT key (empty body); returns at once
  bool pending(const std::string& key) const { return keys_.pending(key); }
  void wait(const std::string& key) { keys_.wait(key); }
  void wait_under(const std::string& prefix) { keys_.wait_under(prefix); }
  void drain() { keys_.drain(); }
  // Markers under `prefix` whose PUT failed, taken out of the record (each is reported once).
  std::set<std::string> take_failed_under(const std::string& prefix);
  uint64_t failures() const;                          // PUTs that failed (logged), for tests
  size_t waiters() const { return keys_.waiters(); }  // threads in wait*/drain, for tests

 private:
  ObjectStore& store_;
  PendingKeys keys_;
  mutable std::mutex mu_;  // guards failed_ and failures_
  std::set<std::string> failed_;
  uint64_t failures_ = 0;
  std::unique_ptr<WorkerPool> pool_;  // last: its threads finish before the members above go
};

}  // namespace skytrain::fs
