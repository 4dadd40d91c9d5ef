// Pre-tokenizers, with HF's split semantics (SplitDelimiterBehavior, empty pieces dropped).
#include "pre_tokenizers.hpp"

#include <algorithm>
#include <functional>

#include "normalizers.hpp"
#include "regex.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

const std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Span {
  size_t b, e;
  bool match;
};

// HF NormalizedString::split: turns (range, is_match) into the kept ranges.
void apply_behavior(std::vector<Span>& m, Behavior behavior) {
  std::vector<Span> out;
  out.reserve(m.size());
  bool prev = false;
  switch (behavior) {
    case Behavior::Isolated:
      for (auto& s : m) out.push_back({s.b, s.e, false});
      break;
    case Behavior::Removed:
      for (auto& s : m)
        if (!s.match) out.push_back(s);
      break;
    case Behavior::MergedWithPrevious:
      for (auto& s : m) {
        if (s.match && !prev && !out.empty()) out.back().e = s.e;
        else out.push_back({s.b, s.e, false});
        prev = s.match;
      }
      break;
    case Behavior::MergedWithNext:
      for (size_t i = m.size(); i-- > 0;) {
        const auto& s = m[i];
        if (s.match && !prev && !out.empty()) out.back().b = s.b;
        else out.push_back({s.b, s.e, false});
        prev = s.match;
      }
      std::reverse(out.begin(), out.end());
      break;
    case Behavior::Contiguous:
      for (auto& s : m) {
        if (s.match == prev && !out.empty()) out.back().e = s.e;
        else out.push_back({s.b, s.e, false});
        prev = s.match;
      }
      break;
  }
  m = std::move(out);
}

using MatchFn = std::function<void(std::string_view, std::vector<Span>&)>;

// Replaces every piece by its splits.
void split_all(PieceList& pl, const MatchFn& find, Behavior behavior, bool invert) {
  std::vector<Piece> out;
  out.reserve(pl.pieces.size() * 4);
  std::vector<Span> spans;
  for (const Piece& p : pl.pieces) {
    std::string_view v = pl.view(p);
    spans.clear();
    find(v, spans);
    if (invert)
      for (auto& s : spans) s.match = !s.match;
    apply_behavior(spans, behavior);
    for (const auto& s : spans)
      if (s.e > s.b) out.push_back({p.seg, static_cast<uint32_t>(p.begin + s.b), static_cast<uint32_t>(p.begin + s.e)});
  }
  pl.pieces = std::move(out);
}

// Matches of a regex / literal / char predicate as a full cover of the text.
void regex_spans(const Regex& re, std::string_view v, std::vector<Span>& out) {
  if (v.empty()) {
    out.push_back({0, 0, false});
    return;
  }
  size_t prev = 0;
  for (auto [b, e] : re.find_all(v)) {
    if (prev != b) out.push_back({prev, b, false});
    out.push_back({b, e, true});
    prev = e;
  }
  if (prev != v.size()) out.push_back({prev, v.size(), false});
}

void literal_spans(const std::string& lit, std::string_view v, std::vector<Span>& out) {
  if (v.empty()) {
    out.push_back({0, 0, false});
    return;
  }
  size_t prev = 0;
  if (!lit.empty()) {
    for (size_t p = v.find(lit); p != std::string_view::npos; p = v.find(lit, p + lit.size())) {
      if (prev != p) out.push_back({prev, p, false});
      out.push_back({p, p + lit.size(), true});
      prev = p + lit.size();
    }
  }
  if (prev != v.size()) out.push_back({prev, v.size(), false});
}

template <typename Pred>
void char_spans(Pred pred, std::string_view v, std::vector<Span>& out) {
  if (v.empty()) {
    out.push_back({0, 0, false});
    return;
  }
  size_t last = 0, i = 0;
  int len;
  while (i < v.size()) {
    uint32_t cp = unicode::decode_utf8(v, i, len);
    size_t e = i + static_cast<size_t>(len);
    if (pred(cp)) {
      if (last < i) out.push_back({last, i, false});
      out.push_back({i, e, true});
      last = e;
    }
    i = e;
  }
  if (v.size() > last) out.push_back({last, v.size(), false});
}

Behavior parse_behavior(const JsonNode& n) {
  std::string_view b = n.str();
  if (b == "Removed") return Behavior::Removed;
  if (b == "Isolated") return Behavior::Isolated;
  if (b == "MergedWithPrevious") return Behavior::MergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::MergedWithNext;
  if (b == "Contiguous") return Behavior::Contiguous;
  n.error("unknown split behavior \"{}\"", b);
}

class SplitPre : public PreTokenizer {
 public:
  SplitPre(std::string literal, std::unique_ptr<Regex> re, Behavior b, bool invert)
      : literal_(std::move(literal)), re_(std::move(re)), behavior_(b), invert_(invert) {}
  void pre_tokenize(PieceList& pl) const override {
    if (re_) {
      split_all(pl, [this](std::string_view v, std::vector<Span>& o) { regex_spans(*re_, v, o); }, behavior_, invert_);
    } else {
      split_all(pl, [this](std::string_view v, std::vector<Span>& o) { literal_spans(literal_, v, o); }, behavior_,
                invert_);
    }
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> re_;
  Behavior behavior_;
  bool invert_;
};

class DigitsPre : public PreTokenizer {
 public:
  explicit DigitsPre(bool individual) : individual_(individual) {}
  void pre_tokenize(PieceList& pl) const override {
    auto numeric = [](uint32_t cp) { return (unicode::category_bit(cp) & unicode::kMaskNumber) != 0; };
    split_all(pl, [&](std::string_view v, std::vector<Span>& o) { char_spans(numeric, v, o); },
              individual_ ? Behavior::Isolated : Behavior::Contiguous, false);
  }

 private:
  bool individual_;
};

// A piece copied into its own segment so it can be rewritten.
uint32_t own_segment(PieceList& pl, const Piece& p) {
  const Segment& src = pl.segs[p.seg];
  Segment s;
  s.text = src.text.substr(p.begin, p.end - p.begin);
  if (src.identity()) {
    // Widening to whole characters needs the original text: pieces never cut characters.
    s.base = src.base + p.begin;
  } else {
    s.align.assign(src.align.begin() + p.begin, src.align.begin() + p.end);
  }
  pl.segs.push_back(std::move(s));
  return static_cast<uint32_t>(pl.segs.size() - 1);
}

class ByteLevelPre : public PreTokenizer {
 public:
  ByteLevelPre(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), re_(use_regex ? std::make_unique<Regex>(kGpt2Pattern) : nullptr) {}
  void pre_tokenize(PieceList& pl) const override {
    if (add_prefix_space_) {
      for (Piece& p : pl.pieces) {
        std::string_view v = pl.view(p);
        if (v.empty() || v[0] == ' ') continue;
        uint32_t seg = own_segment(pl, p);
        apply_edits(pl.segs[seg], {{0, 0, " "}});
        p = {seg, 0, static_cast<uint32_t>(pl.segs[seg].text.size())};
      }
    }
    if (re_)
      split_all(pl, [this](std::string_view v, std::vector<Span>& o) { regex_spans(*re_, v, o); }, Behavior::Isolated,
                false);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> re_;
};

class MetaspacePre : public PreTokenizer {
 public:
  enum class Scheme { Always, First, Never };
  MetaspacePre(uint32_t replacement, Scheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {
    unicode::append_utf8(rep_, replacement);
  }
  void pre_tokenize(PieceList& pl) const override {
    for (Piece& p : pl.pieces) {
      std::string_view v = pl.view(p);
      bool has_space = v.find(' ') != std::string_view::npos;
      bool starts = v.substr(0, rep_.size()) == rep_;
      bool prepend = false;
      if (scheme_ == Scheme::Always) prepend = !starts;
      else if (scheme_ == Scheme::First) prepend = !starts && pl.original_start(p) == 0;
      // Checked after the replacement in HF: a leading space becomes the replacement first.
      if (!v.empty() && v[0] == ' ') prepend = false;
      if (v.empty()) prepend = false;
      if (!has_space && !prepend) continue;
      uint32_t seg = own_segment(pl, p);
      Segment& s = pl.segs[seg];
      std::vector<TextEdit> edits;
      if (prepend) edits.push_back({0, 0, rep_});
      for (size_t i = 0; i < s.text.size(); ++i)
        if (s.text[i] == ' ') edits.push_back({i, i + 1, rep_});
      apply_edits(s, edits);
      p = {seg, 0, static_cast<uint32_t>(s.text.size())};
    }
    if (split_) {
      uint32_t r = replacement_;
      split_all(pl, [r](std::string_view v, std::vector<Span>& o) { char_spans([r](uint32_t c) { return c == r; }, v, o); },
                Behavior::MergedWithNext, false);
    }
  }

 private:
  uint32_t replacement_;
  std::string rep_;
  Scheme scheme_;
  bool split_;
};

class SequencePre : public PreTokenizer {
 public:
  explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void pre_tokenize(PieceList& pl) const override {
    for (const auto& p : parts_) p->pre_tokenize(pl);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

std::unique_ptr<PreTokenizer> make(const JsonNode& node, bool last, bool& byte_level) {
  std::string_view type = node.at("type").str();
  if (type == "Sequence") {
    auto items = node.at("pretokenizers").array();
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < items.size(); ++i) parts.push_back(make(items[i], last && i + 1 == items.size(), byte_level));
    return std::make_unique<SequencePre>(std::move(parts));
  }
  if (type == "Split") {
    std::string literal;
    std::unique_ptr<Regex> re;
    parse_pattern(node.at("pattern"), literal, re);
    return std::make_unique<SplitPre>(std::move(literal), std::move(re), parse_behavior(node.at("behavior")),
                                      node.bool_or("invert", false));
  }
  if (type == "ByteLevel") {
    if (!last)
      node.error("ByteLevel must be the last pre-tokenizer (a pre-tokenizer after it is not supported)");
    byte_level = true;
    return std::make_unique<ByteLevelPre>(node.bool_or("add_prefix_space", true), node.bool_or("use_regex", true));
  }
  if (type == "Metaspace") {
    std::string_view rep = node.str_or("replacement", "\xE2\x96\x81");
    int len = 0;
    uint32_t cp = rep.empty() ? 0 : unicode::decode_utf8(rep, 0, len);
    if (rep.empty() || static_cast<size_t>(len) != rep.size()) node.at("replacement").error("expected one character");
    MetaspacePre::Scheme scheme = MetaspacePre::Scheme::Always;
    if (auto ps = node.find("prepend_scheme")) {
      std::string_view s = ps->str();
      if (s == "always") scheme = MetaspacePre::Scheme::Always;
      else if (s == "first") scheme = MetaspacePre::Scheme::First;
      else if (s == "never") scheme = MetaspacePre::Scheme::Never;
      else ps->error("unknown prepend_scheme \"{}\"", s);
    } else if (auto aps = node.find("add_prefix_space")) {
      scheme = aps->boolean() ? MetaspacePre::Scheme::Always : MetaspacePre::Scheme::Never;
    }
    return std::make_unique<MetaspacePre>(cp, scheme, node.bool_or("split", true));
  }
  if (type == "Digits") return std::make_unique<DigitsPre>(node.bool_or("individual_digits", false));
  node.at("type").error("unsupported pre-tokenizer type \"{}\" (supported: Split, ByteLevel, Metaspace, Digits, Sequence)",
                        type);
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonNode& node, bool& byte_level) {
  byte_level = false;
  return make(node, true, byte_level);
}

}  // namespace skytrain::pipeline
