// Merged byte ranges; see interval_set.hpp.
#include "upload/interval_set.hpp"

#include <algorithm>

namespace skytrain::fs {

void IntervalSet::add(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= begin) {  // overlaps or touches the previous range
      begin = prev->first;
      end = std::max(end, prev->second);
      it = ranges_.erase(prev);
    }
  }
  while (it != ranges_.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(begin, end);
}

void IntervalSet::clip(uint64_t end) {
  auto it = ranges_.lower_bound(end);
  ranges_.erase(it, ranges_.end());
  if (!ranges_.empty()) {
    auto last = std::prev(ranges_.end());
    last->second = std::min(last->second, end);
    if (last->first >= last->second) ranges_.erase(last);
  }
}

uint64_t IntervalSet::covered() const {
  uint64_t n = 0;
  for (auto& [b, e] : ranges_) n += e - b;
  return n;
}

bool IntervalSet::covers(uint64_t begin, uint64_t end) const {
  if (begin >= end) return true;
  auto it = ranges_.upper_bound(begin);
  if (it == ranges_.begin()) return false;
  --it;
  return it->first <= begin && it->second >= end;
}

std::vector<std::pair<uint64_t, uint64_t>> IntervalSet::gaps(uint64_t begin, uint64_t end) const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t pos = begin;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) --it;
  for (; it != ranges_.end() && pos < end; ++it) {
    if (it->second <= pos) continue;
    if (it->first >= end) break;
    if (it->first > pos) out.emplace_back(pos, it->first);
    pos = std::max(pos, it->second);
  }
  if (pos < end) out.emplace_back(pos, end);
  return out;
}

}  // namespace skytrain::fs
