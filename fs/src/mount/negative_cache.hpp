// Remembers names that do not exist, for --negative-ttl, so repeated probes for missing files
// (shells, Python's import machinery, `stat` loops waiting for a file) cost one LIST+HEAD per TTL
// instead of one per call. The write path erases a name when it creates it.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace skytrain::fs {

class NegativeCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit NegativeCache(std::chrono::milliseconds ttl, size_t max_entries = 100'000)
      : ttl_(ttl), max_entries_(max_entries) {}
  bool contains(uint64_t parent, const std::string& name, Clock::time_point now = Clock::now());
  void insert(uint64_t parent, const std::string& name, Clock::time_point now = Clock::now());
  void erase(uint64_t parent, const std::string& name);
  void clear();
  size_t size() const;

 private:
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::pair<uint64_t, std::string>, Clock::time_point> expiry_;
};

}  // namespace skytrain::fs
