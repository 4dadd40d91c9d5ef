// Offset bookkeeping for Segment / PieceList (see text_pieces.hpp).
#include "text_pieces.hpp"

namespace skytrain::pipeline {

Align Segment::at(size_t i) const {
  if (!identity()) return align[i];
  size_t b = i, e = i + 1;
  while (b > 0 && continuation(text[b])) --b;
  while (e < text.size() && continuation(text[e])) ++e;
  return {static_cast<uint32_t>(base + b), static_cast<uint32_t>(base + e)};
}

Align Segment::range_slow(size_t b, size_t e) const {
  if (b >= e) {
    if (identity()) return {static_cast<uint32_t>(base + b), static_cast<uint32_t>(base + b)};
    if (b < align.size()) return {align[b].start, align[b].start};
    return align.empty() ? Align{base, base} : Align{align.back().end, align.back().end};
  }
  return {at(b).start, at(e - 1).end};
}

void Segment::materialize() {
  if (!identity()) return;
  std::vector<Align> a(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t e = i + 1;
    while (e < text.size() && continuation(text[e])) ++e;
    for (size_t k = i; k < e; ++k)
      a[k] = {static_cast<uint32_t>(base + i), static_cast<uint32_t>(base + e)};
    i = e;
  }
  align = std::move(a);
  if (align.empty()) align.reserve(1);  // an empty text stays "identity"; harmless
}

uint32_t PieceList::original_start(const Piece& p) const {
  const Segment& s = segs[p.seg];
  if (p.begin < p.end) return s.at(p.begin).start;
  return s.range(p.begin, p.begin).start;
}

}  // namespace skytrain::pipeline
