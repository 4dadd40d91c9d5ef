// A set of disjoint byte ranges [begin, end), merged on insert. The write-back buffer uses it
// to remember which bytes of a part the application actually wrote: the rest comes from the
// previous object (or is zero past its end) and is fetched only when the part is uploaded or
// read, so scattered small writes into a large file cost one ranged GET per part at most.
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace skytrain::fs {

class IntervalSet {
 public:
  void add(uint64_t begin, uint64_t end);
  void clip(uint64_t end);  // forget everything at or after `end`
  void clear() { ranges_.clear(); }
  bool empty() const { return ranges_.empty(); }
  uint64_t covered() const;
  bool covers(uint64_t begin, uint64_t end) const;
  // The uncovered sub-ranges of [begin, end), in order.
  std::vector<std::pair<uint64_t, uint64_t>> gaps(uint64_t begin, uint64_t end) const;

 private:
  std::map<uint64_t, uint64_t> ranges_;  // begin -> end; disjoint, never adjacent
};

}  // namespace skytrain::fs
