// Directories the mount made, whose every name it therefore knows, so a lookup of a name they do
// not hold is answered "no such file" without asking the store.
//
// Without this, creating a file costs a HEAD of the key and a LIST of "key/" (is it a file? a
// directory?) before the CREATE itself: one round trip per new file, even in a directory the
// mount has just made (`cp -r`, `tar x`, a pipeline writing shards into a fresh output
// directory). mkdir makes a directory only after a lookup found nothing under its prefix, so it
// starts empty; the write path then keeps its name set current (create, mkdir, symlink, rename
// add a name; unlink, rmdir, rename remove one), and rmdir of a directory known empty needs no
// LIST either.
//
// Knowledge expires after --stat-ttl (0 turns this off), the bound the mount already puts on
// every cached name and attribute: a key another client writes into such a directory right after
// our mkdir is seen at most that much later.
//
// Deliberately not learnt from READDIR: a listing would then hide, for the TTL, a key another
// client adds afterwards under a name nobody had looked up yet, which no other cache does today
// (fs_write_posix.sh checks that an `aws s3 cp` is visible at once after `ls`).
//
// Bounded: at most max_entries directories; when full, expired ones go, then all (a miss only
// costs the requests we would have sent anyway).
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

namespace skytrain::fs {

class DirectoryContents {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Answer { unknown, present, absent };

  explicit DirectoryContents(std::chrono::milliseconds ttl, size_t max_entries = 10'000)
      : ttl_(ttl), max_entries_(max_entries) {}

  // A directory the mount has just made: empty, known until now + ttl.
  void set_empty(uint64_t dir, Clock::time_point now = Clock::now());
  void add(uint64_t dir, const std::string& name);
  void remove(uint64_t dir, const std::string& name);
  void forget(uint64_t dir);  // e.g. the directory was removed or replaced
  Answer find(uint64_t dir, const std::string& name, Clock::time_point now = Clock::now());
  // Whether `dir` is known to hold no names (made, filled, emptied again: rmdir needs no LIST).
  bool known_empty(uint64_t dir, Clock::time_point now = Clock::now());
  size_t size() const;

 private:
  struct Known {
    Clock::time_point expires;
    std::set<std::string> names;
  };
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Known> dirs_;
};

}  // namespace skytrain::fs
