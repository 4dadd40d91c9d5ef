// Normalizers. Unicode forms and lowercasing go through ICU's UTF-8 APIs with an Edits record,
// so unchanged text is never copied twice and changed spans keep their original offsets; the
// quick "already normalized?" check makes NFC on ordinary text nearly free.
#include "normalizers.hpp"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>

#include "regex.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

void apply_edits(Segment& s, const std::vector<TextEdit>& edits) {
  if (edits.empty()) return;
  s.materialize();
  std::string out;
  std::vector<Align> align;
  out.reserve(s.text.size() + 16);
  align.reserve(s.text.size() + 16);
  size_t pos = 0;
  auto copy = [&](size_t b, size_t e) {
    out.append(s.text, b, e - b);
    align.insert(align.end(), s.align.begin() + static_cast<std::ptrdiff_t>(b),
                 s.align.begin() + static_cast<std::ptrdiff_t>(e));
  };
  for (const auto& ed : edits) {
    copy(pos, ed.begin);
    Align a;
    if (ed.end > ed.begin) {
      // HF pairs output and input characters in order (a composed character keeps the offsets
      // of the first character it replaced; extra output characters those of the last one).
      std::vector<Align> in;
      for (size_t i = ed.begin; i < ed.end;) {
        in.push_back(s.align[i]);
        size_t e = i + 1;
        while (e < ed.end && (static_cast<unsigned char>(s.text[e]) & 0xC0) == 0x80) ++e;
        i = e;
      }
      size_t j = 0;
      for (size_t o = 0; o < ed.text.size();) {
        size_t e = o + 1;
        while (e < ed.text.size() && (static_cast<unsigned char>(ed.text[e]) & 0xC0) == 0x80) ++e;
        align.insert(align.end(), e - o, in[std::min(j, in.size() - 1)]);
        ++j;
        o = e;
      }
      out += ed.text;
      pos = ed.end;
      continue;
    } else if (ed.begin < s.text.size()) {
      a = s.align[ed.begin];
    } else if (!s.align.empty()) {
      a = s.align.back();
    } else {
      a = {s.base, s.base};
    }
    out += ed.text;
    align.insert(align.end(), ed.text.size(), a);
    pos = ed.end;
  }
  copy(pos, s.text.size());
  s.text = std::move(out);
  s.align = std::move(align);
}

std::string Normalizer::normalize_string(std::string_view text) const {
  Segment s;
  s.text = std::string(text);
  normalize(s);
  return std::move(s.text);
}

namespace {

// Converts an ICU Edits record (source = s.text, result = `dest`) into TextEdits.
std::vector<TextEdit> edits_from_icu(const icu::Edits& edits, const std::string& dest) {
  std::vector<TextEdit> out;
  UErrorCode err = U_ZERO_ERROR;
  auto it = edits.getFineChangesIterator();
  while (it.next(err)) {
    out.push_back({static_cast<size_t>(it.sourceIndex()), static_cast<size_t>(it.sourceIndex() + it.oldLength()),
                   dest.substr(static_cast<size_t>(it.destinationIndex()), static_cast<size_t>(it.newLength()))});
  }
  return out;
}

class UnicodeNormalizer : public Normalizer {
 public:
  UnicodeNormalizer(const icu::Normalizer2* n) : n_(n) {}
  void normalize(Segment& s) const override {
    UErrorCode err = U_ZERO_ERROR;
    if (n_->isNormalizedUTF8(s.text, err) && U_SUCCESS(err)) return;
    err = U_ZERO_ERROR;
    std::string dest;
    icu::StringByteSink<std::string> sink(&dest);
    icu::Edits edits;
    n_->normalizeUTF8(0, s.text, sink, &edits, err);
    if (U_FAILURE(err)) fail("Unicode normalization failed: {}", u_errorName(err));
    apply_edits(s, edits_from_icu(edits, dest));
  }

 private:
  const icu::Normalizer2* n_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(Segment& s) const override {
    UErrorCode err = U_ZERO_ERROR;
    std::string dest;
    icu::StringByteSink<std::string> sink(&dest);
    icu::Edits edits;
    icu::CaseMap::utf8ToLower("", 0, s.text, sink, &edits, err);
    if (U_FAILURE(err)) fail("lowercasing failed: {}", u_errorName(err));
    apply_edits(s, edits_from_icu(edits, dest));
  }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(Segment& s) const override {
    size_t b = 0, e = s.text.size();
    int len;
    if (left_)
      while (b < e && unicode::is_whitespace(unicode::decode_utf8(s.text, b, len))) b += static_cast<size_t>(len);
    if (right_) {
      while (e > b) {
        size_t p = e - 1;
        while (p > b && (static_cast<unsigned char>(s.text[p]) & 0xC0) == 0x80) --p;
        if (!unicode::is_whitespace(unicode::decode_utf8(s.text, p, len))) break;
        e = p;
      }
    }
    std::vector<TextEdit> edits;
    if (b > 0) edits.push_back({0, b, ""});
    if (e < s.text.size()) edits.push_back({e, s.text.size(), ""});
    apply_edits(s, edits);
  }

 private:
  bool left_, right_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : p_(std::move(p)) {}
  void normalize(Segment& s) const override {
    if (s.text.empty()) return;
    apply_edits(s, {{0, 0, p_}});
  }

 private:
  std::string p_;
};

class Replace : public Normalizer {
 public:
  Replace(std::string literal, std::unique_ptr<Regex> re, std::string content)
      : literal_(std::move(literal)), re_(std::move(re)), content_(std::move(content)) {}
  void normalize(Segment& s) const override {
    std::vector<TextEdit> edits;
    if (re_) {
      for (auto [b, e] : re_->find_all(s.text)) edits.push_back({b, e, content_});
    } else if (!literal_.empty()) {
      for (size_t p = s.text.find(literal_); p != std::string::npos; p = s.text.find(literal_, p + literal_.size()))
        edits.push_back({p, p + literal_.size(), content_});
    }
    apply_edits(s, edits);
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> re_;
  std::string content_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(Segment& s) const override {
    for (const auto& p : parts_) p->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

const icu::Normalizer2* icu_instance(std::string_view type, const JsonNode& node) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* n = nullptr;
  if (type == "NFC") n = icu::Normalizer2::getNFCInstance(err);
  else if (type == "NFD") n = icu::Normalizer2::getNFDInstance(err);
  else if (type == "NFKC") n = icu::Normalizer2::getNFKCInstance(err);
  else n = icu::Normalizer2::getNFKDInstance(err);
  if (U_FAILURE(err) || !n) node.error("ICU has no {} normalizer: {}", type, u_errorName(err));
  return n;
}

}  // namespace

// Parses a {"String": s} / {"Regex": r} pattern object.
void parse_pattern(const JsonNode& pat, std::string& literal, std::unique_ptr<Regex>& re) {
  if (auto s = pat.find("String")) {
    literal = std::string(s->str());
  } else if (auto r = pat.find("Regex")) {
    try {
      re = std::make_unique<Regex>(r->str());
    } catch (const Error& e) {
      r->error("{}", e.what());
    }
  } else {
    pat.error("expected {{\"String\": ...}} or {{\"Regex\": ...}}");
  }
}

std::unique_ptr<Normalizer> make_normalizer(const JsonNode& node) {
  std::string_view type = node.at("type").str();
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD")
    return std::make_unique<UnicodeNormalizer>(icu_instance(type, node));
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip") return std::make_unique<Strip>(node.bool_or("strip_left", true), node.bool_or("strip_right", true));
  if (type == "Prepend") return std::make_unique<Prepend>(std::string(node.at("prepend").str()));
  if (type == "Replace") {
    std::string literal;
    std::unique_ptr<Regex> re;
    parse_pattern(node.at("pattern"), literal, re);
    return std::make_unique<Replace>(std::move(literal), std::move(re), std::string(node.at("content").str()));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const auto& n : node.at("normalizers").array()) parts.push_back(make_normalizer(n));
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  node.at("type").error("unsupported normalizer type \"{}\" (supported: NFC, NFD, NFKC, NFKD, Lowercase, "
                        "Strip, Prepend, Replace, Sequence)", type);
}

}  // namespace skytrain::pipeline
