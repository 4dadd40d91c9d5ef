// Keys with a background request queued or running, and the waits on them: the bookkeeping that
// PendingDeletes (unlink, rmdir) and PendingMarkers (mkdir) share. A key may be added more than
// once; it stays pending until each addition is done. Sorted, so a wait on a prefix (a directory
// and everything under it) is one range.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace skytrain::fs {

class PendingKeys {
 public:
  void add(const std::string& key);
  void done(const std::vector<std::string>& keys);  // one addition of each; wakes waiters

  bool pending(const std::string& key) const;
  bool pending_under(const std::string& prefix) const;  // any key starting with `prefix`
  // Pending keys of the entries directly in directory `prefix` (files, and "name/" markers).
  std::set<std::string> pending_children(const std::string& prefix) const;
  void wait(const std::string& key);           // until `key` is not pending
  void wait_under(const std::string& prefix);  // ... no key starting with `prefix`
  void drain();                                // ... no key at all
  size_t waiters() const;                      // threads in wait*/drain, for tests

 private:
  template <class Pred>
  void wait_until(Pred done);  // with mu_ free; counts the caller in waiters_
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::map<std::string, int> pending_;  // key -> additions not yet done
  size_t waiters_ = 0;
};

}  // namespace skytrain::fs
