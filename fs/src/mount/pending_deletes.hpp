// unlink and rmdir in the background: the DELETE (of the file, or of the directory's marker
// "dir/") is queued and the call returns at once.
//
// A synchronous DELETE costs `rm -rf` one round trip per file (76 s for 2,000 files at 20 ms per
// request). Deleting in the background on a few threads is safe as long as nobody can tell the
// object is still there, so while a key is pending:
//  - lookup answers "no such file" for it (for a removed directory: lookup waits for the
//    DELETEs under it), and READDIR leaves it out (also after its DELETE is done, in a
//    directory opened while it was pending: that listing may predate the DELETE);
//  - anything that would write the key again (create, symlink, mkdir, rename onto it) first
//    waits for its DELETE, so a new object can never be removed by an older unlink or rmdir;
//  - rmdir and directory rename (which list the store) first wait for every DELETE under the
//    prefix, so a pending key neither blocks rmdir (ENOTEMPTY) nor gets copied back to life
//    (an rmdir that needs no LIST, see directory_contents.hpp, does not wait);
//  - fsync of a directory, unmount and SIGTERM wait for the DELETEs (drain()).
// Keys queued while the threads are busy go out together, up to 1,000 per DeleteObjects request
// (ObjectStore::remove_many): `rm -rf` of 2,000 files costs a few dozen requests, not 2,000.
// A DELETE that fails after the client's retries is logged as an error (the name reappears: the
// object is still stored, nothing is lost; a directory whose marker stays reappears too). A key already gone counts as deleted.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "mount/pending_keys.hpp"
#include "store/object_store.hpp"
#include "upload/worker_pool.hpp"

namespace skytrain::fs {

class PendingDeletes {
 public:
  PendingDeletes(ObjectStore& store, size_t threads);
  ~PendingDeletes();  // drains

  void remove(const std::string& key);  // queues DELETE key; returns at once
  // A rename in the background (WritePath::move_in_background): its source key is pending from
  // now, as if unlinked, but its DELETE waits for release(), sent once the copy is stored;
  // cancel() (the copy failed) drops it unsent, and the name reappears. Both do nothing for a
  // key not held.
  void hold(const std::string& key);
  void release(const std::string& key);
  void cancel(const std::string& key);
  bool pending(const std::string& key) const { return keys_.pending(key); }
  bool pending_under(const std::string& prefix) const { return keys_.pending_under(prefix); }
  std::set<std::string> pending_children(const std::string& prefix) const { return keys_.pending_children(prefix); }
  void wait(const std::string& key) { keys_.wait(key); }  // until no DELETE of `key` is queued or running
  void wait_under(const std::string& prefix) { keys_.wait_under(prefix); }
  void drain() { keys_.drain(); }
  uint64_t failures() const;                         // DELETEs that failed (logged), for tests
  size_t waiters() const { return keys_.waiters(); }  // threads in wait*/drain, for tests

 private:
  void run();  // takes up to 1,000 queued keys and deletes them
  ObjectStore& store_;
  PendingKeys keys_;
  mutable std::mutex mu_;           // guards queue_, held_ and failures_
  std::deque<std::string> queue_;  // keys not yet sent
  std::set<std::string> held_;     // hold() without release() or cancel() yet
  uint64_t failures_ = 0;
  std::unique_ptr<WorkerPool> pool_;  // last: its threads finish before the members above go
};

}  // namespace skytrain::fs
