// Geometric part layout; see part_layout.hpp.
#include "upload/part_layout.hpp"

#include <algorithm>

namespace skytrain::fs {

namespace {
uint64_t group_part_size(const PartLayout& l, uint32_t group) {
  if (group >= 40) return l.max_part_size;
  return std::min(l.first_part_size << group, l.max_part_size);
}
}  // namespace

uint64_t PartLayout::part_size(uint32_t index) const { return group_part_size(*this, index / parts_per_doubling); }

uint64_t PartLayout::part_start(uint32_t index) const {
  uint64_t start = 0;
  uint32_t group = 0;
  while (index >= parts_per_doubling) {
    start += uint64_t(parts_per_doubling) * group_part_size(*this, group);
    index -= parts_per_doubling;
    ++group;
  }
  return start + uint64_t(index) * group_part_size(*this, group);
}

uint32_t PartLayout::part_index(uint64_t offset) const {
  uint32_t index = 0;
  uint32_t group = 0;
  for (;;) {
    uint64_t size = group_part_size(*this, group);
    uint64_t span = uint64_t(parts_per_doubling) * size;
    if (offset < span) {
      uint64_t i = uint64_t(index) + offset / size;
      return i >= kMaxParts ? kMaxParts : uint32_t(i);
    }
    offset -= span;
    index += parts_per_doubling;
    ++group;
    if (index >= kMaxParts) return kMaxParts;
  }
}

}  // namespace skytrain::fs
