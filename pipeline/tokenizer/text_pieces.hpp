// The text as it flows through normalizers and pre-tokenizers, with the map back to the input.
//
// HF's NormalizedString keeps, for every byte of the normalized text, the byte range of the
// original character it came from. Doing that for every byte of every input is the single
// largest cost of the reference, and almost always wasted: NFC and the Split regex leave the
// bytes unchanged. So a Segment is either an identity view (original offset = base + index, no
// per-byte table) or, once a normalizer or pre-tokenizer actually rewrites it, owns a per-byte
// table. Pre-tokenizers that only split (Split, Digits, ByteLevel's regex) produce Pieces that
// are byte ranges of a Segment and copy nothing.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline {

struct Align {
  uint32_t start, end;  // byte range in the original input
};

struct Segment {
  std::string text;
  std::vector<Align> align;  // per byte of text; empty = identity mapping from `base`
  uint32_t base = 0;

  bool identity() const { return align.empty(); }
  // Original range of the character that produced byte i (identity: the byte's own char).
  Align at(size_t i) const;
  // Original [start, end) for the normalized byte range [b, e), widened to whole characters.
  // Inline for the common case (called once per token when offsets are wanted): an unrewritten
  // segment and a range that starts and ends on character boundaries.
  Align range(size_t b, size_t e) const {
    if (identity() && b < e && !continuation(text[b]) && (e >= text.size() || !continuation(text[e])))
      return {static_cast<uint32_t>(base + b), static_cast<uint32_t>(base + e)};
    return range_slow(b, e);
  }
  // Makes the per-byte table explicit (before a rewrite).
  void materialize();

 private:
  static bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
  Align range_slow(size_t b, size_t e) const;
};

struct Piece {
  uint32_t seg;
  uint32_t begin, end;  // byte range inside segs[seg].text
};

// A list of pieces still to be tokenized (added-token pieces are handled before this).
struct PieceList {
  std::deque<Segment> segs;
  std::vector<Piece> pieces;

  std::string_view view(const Piece& p) const {
    return std::string_view(segs[p.seg].text).substr(p.begin, p.end - p.begin);
  }
  // Original offset of the first byte of the piece (HF's offsets_original().0).
  uint32_t original_start(const Piece& p) const;
};

}  // namespace skytrain::pipeline
