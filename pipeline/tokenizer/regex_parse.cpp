// Parser for the pre-tokenizer regex subset (see regex.hpp): pattern -> nodes and classes.
#include "regex.hpp"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <string>

#include "skytrain/common/error.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

namespace uni = unicode;

namespace {
Regex::Node node_of(Regex::Kind k) {
  Regex::Node n;
  n.kind = k;
  return n;
}
uint32_t fold(uint32_t cp) { return static_cast<uint32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT)); }
}  // namespace

bool Regex::CharClass::contains_slow(uint32_t cp) const {
  bool in = false;
  uint16_t p = uni::props(cp);
  uint32_t cat_bit = 1u << (p & 31u);
  if (any_but_newline && cp != '\n') in = true;
  if (!in && (cat_bit & category_mask)) in = true;
  if (!in && (p & flag_mask)) in = true;
  if (!in && not_category_mask && !(cat_bit & not_category_mask)) in = true;
  if (!in && not_flag_mask && !(p & not_flag_mask)) in = true;
  if (!in && word && uni::is_word(cp)) in = true;
  if (!in && not_word && !uni::is_word(cp)) in = true;
  if (!in) {
    for (const auto& r : ranges)
      if (cp >= r.first && cp <= r.second) {
        in = true;
        break;
      }
  }
  if (!in && (!scripts.empty() || !not_scripts.empty())) {
    UErrorCode err = U_ZERO_ERROR;
    int sc = uscript_getScript(static_cast<UChar32>(cp), &err);
    for (int s : scripts)
      if (s == sc) in = true;
    for (int s : not_scripts)
      if (s != sc) in = true;
  }
  return in != negated;
}

class RegexParser {
 public:
  RegexParser(Regex& re, std::string_view p) : re_(re), p_(p) {}

  uint32_t parse() {
    uint32_t root = parse_alt(false);
    if (pos_ != p_.size()) error("unbalanced ')'");
    return root;
  }

 private:
  Regex& re_;
  std::string_view p_;
  size_t pos_ = 0;
  bool icase_ = false;
  int groups_open_ = 0;

  [[noreturn]] void error(std::string_view what) const {
    fail("regex {}: {} at offset {}", json_like(p_), what, pos_);
  }
  static std::string json_like(std::string_view s) {
    std::string out = "\"";
    out.append(s);
    out += "\"";
    return out;
  }
  bool eof() const { return pos_ >= p_.size(); }
  uint32_t next_cp() {
    int len;
    uint32_t cp = uni::decode_utf8(p_, pos_, len);
    pos_ += static_cast<size_t>(len);
    return cp;
  }
  uint32_t add(Regex::Node n) {
    re_.nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(re_.nodes_.size() - 1);
  }

  uint32_t parse_alt(bool in_group) {
    bool saved_icase = icase_;
    std::vector<uint32_t> branches{parse_seq()};
    while (!eof() && p_[pos_] == '|') {
      ++pos_;
      branches.push_back(parse_seq());
    }
    if (in_group) icase_ = saved_icase;
    if (branches.size() == 1) return branches[0];
    Regex::Node n = node_of(Regex::Kind::Alt);
    n.kids = std::move(branches);
    return add(std::move(n));
  }

  uint32_t parse_seq() {
    std::vector<uint32_t> items;
    while (!eof() && p_[pos_] != '|' && p_[pos_] != ')') {
      uint32_t atom;
      if (!parse_atom(atom)) continue;  // a flag group like (?i) that produced no node
      atom = parse_quantifier(atom);
      items.push_back(atom);
    }
    if (items.size() == 1) return items[0];
    Regex::Node n = node_of(Regex::Kind::Seq);
    n.kids = std::move(items);
    return add(std::move(n));
  }

  bool parse_number(uint32_t& v) {
    size_t start = pos_;
    v = 0;
    while (!eof() && p_[pos_] >= '0' && p_[pos_] <= '9') {
      v = v * 10 + static_cast<uint32_t>(p_[pos_] - '0');
      if (v > 100000) error("repetition count too large");
      ++pos_;
    }
    return pos_ > start;
  }

  uint32_t parse_quantifier(uint32_t atom) {
    if (eof()) return atom;
    uint32_t mn, mx;
    char c = p_[pos_];
    if (c == '*') {
      mn = 0, mx = UINT32_MAX, ++pos_;
    } else if (c == '+') {
      mn = 1, mx = UINT32_MAX, ++pos_;
    } else if (c == '?') {
      mn = 0, mx = 1, ++pos_;
    } else if (c == '{') {
      size_t save = pos_;
      ++pos_;
      bool have_min = parse_number(mn);
      if (!have_min) mn = 0;
      if (!eof() && p_[pos_] == '}' && have_min) {
        mx = mn;
        ++pos_;
      } else if (!eof() && p_[pos_] == ',') {
        ++pos_;
        if (!parse_number(mx)) mx = UINT32_MAX;
        if (eof() || p_[pos_] != '}' || (!have_min && mx == UINT32_MAX)) {
          pos_ = save;  // not an interval: a literal '{' (Oniguruma does the same)
          return atom;
        }
        ++pos_;
        if (mx < mn) error("repetition {n,m} with m < n");
      } else {
        pos_ = save;
        return atom;
      }
    } else {
      return atom;
    }
    bool greedy = true;
    if (!eof() && p_[pos_] == '?') {
      greedy = false;
      ++pos_;
    } else if (!eof() && p_[pos_] == '+') {
      error("possessive quantifiers are not supported");
    }
    Regex::Kind k = re_.nodes_[atom].kind;
    if (k == Regex::Kind::Begin || k == Regex::Kind::End || k == Regex::Kind::Look)
      error("quantifier after an assertion");
    Regex::Node n = node_of(Regex::Kind::Repeat);
    n.min = mn;
    n.max = mx;
    n.greedy = greedy;
    n.kids = {atom};
    uint32_t id = add(std::move(n));
    if (!eof() && (p_[pos_] == '*' || p_[pos_] == '+' || p_[pos_] == '?' || p_[pos_] == '{')) {
      // Nested quantifiers like a** are legal in Oniguruma but never used by tokenizers.
      if (p_[pos_] != '{') error("nested quantifier");
    }
    return id;
  }

  uint32_t literal(uint32_t cp) {
    Regex::Node n = node_of(Regex::Kind::Literal);
    n.icase = icase_;
    n.cp = icase_ ? fold(cp) : cp;
    return add(std::move(n));
  }

  uint32_t class_node(Regex::CharClass cls) {
    finish_class(cls);
    re_.classes_.push_back(std::move(cls));
    Regex::Node n = node_of(Regex::Kind::Class);
    n.cls = static_cast<uint32_t>(re_.classes_.size() - 1);
    return add(std::move(n));
  }

  void finish_class(Regex::CharClass& cls) {
    if (icase_) {
      // Case-insensitive class: add the simple case variants of every ASCII-range member and of
      // the range ends' folds. Only ranges need this (categories/properties are case-closed
      // enough for the patterns in use: \p{L} contains both cases anyway).
      std::vector<std::pair<uint32_t, uint32_t>> extra;
      for (const auto& r : cls.ranges) {
        if (r.second - r.first > 0x3000) continue;
        for (uint32_t c = r.first; c <= r.second; ++c) {
          uint32_t variants[3] = {fold(c), static_cast<uint32_t>(u_toupper(static_cast<UChar32>(c))),
                                  static_cast<uint32_t>(u_tolower(static_cast<UChar32>(c)))};
          for (uint32_t v : variants)
            if (v != c) extra.emplace_back(v, v);
        }
      }
      cls.ranges.insert(cls.ranges.end(), extra.begin(), extra.end());
    }
    bool neg = cls.negated;
    cls.negated = false;
    for (uint32_t c = 0; c < 128; ++c)
      if (cls.contains_slow(c) != neg) cls.ascii[c >> 6] |= uint64_t{1} << (c & 63);
    cls.negated = neg;
  }

  uint32_t parse_hex(size_t digits) {
    uint32_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (eof()) error("truncated hex escape");
      char c = p_[pos_++];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) error("bad hex digit");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  // Parses \p{Name} / \P{Name} (after the letter) into the class.
  void parse_property(Regex::CharClass& cls, bool negated) {
    std::string name;
    if (!eof() && p_[pos_] == '{') {
      ++pos_;
      while (!eof() && p_[pos_] != '}') name += p_[pos_++];
      if (eof()) error("unterminated \\p{");
      ++pos_;
    } else if (!eof()) {
      name = p_[pos_++];
    }
    if (!name.empty() && name[0] == '^') {
      negated = !negated;
      name.erase(0, 1);
    }
    bool ok;
    uint32_t mask = uni::category_mask_by_name(name, ok);
    if (ok) {
      (negated ? cls.not_category_mask : cls.category_mask) |= mask;
      return;
    }
    int32_t sc = u_getPropertyValueEnum(UCHAR_SCRIPT, name.c_str());
    if (sc != UCHAR_INVALID_CODE) {
      (negated ? cls.not_scripts : cls.scripts).push_back(sc);
      return;
    }
    if (name == "Alphabetic" || name == "Alpha") {
      (negated ? cls.not_flag_mask : cls.flag_mask) |= uni::kAlphabetic;
      return;
    }
    if (name == "White_Space" || name == "Space") {
      (negated ? cls.not_flag_mask : cls.flag_mask) |= uni::kWhiteSpace;
      return;
    }
    error("unsupported property \\p{" + name + "}");
  }

  // An escape inside or outside a class. Returns true with cp set for a single character,
  // false when it added a class item to `cls`.
  bool parse_escape(Regex::CharClass& cls, uint32_t& cp) {
    if (eof()) error("trailing backslash");
    char c = p_[pos_++];
    switch (c) {
      case 't': cp = '\t'; return true;
      case 'n': cp = '\n'; return true;
      case 'r': cp = '\r'; return true;
      case 'f': cp = '\f'; return true;
      case 'v': cp = '\v'; return true;
      case 'a': cp = 7; return true;
      case 'e': cp = 27; return true;
      case '0': cp = 0; return true;
      case 'x':
        if (!eof() && p_[pos_] == '{') {
          ++pos_;
          size_t start = pos_;
          while (!eof() && p_[pos_] != '}') ++pos_;
          if (eof() || pos_ == start || pos_ - start > 6) error("bad \\x{...} escape");
          size_t end = pos_;
          pos_ = start;
          cp = parse_hex(end - start);
          ++pos_;
        } else {
          cp = parse_hex(2);
        }
        return true;
      case 'u': cp = parse_hex(4); return true;
      case 's': cls.flag_mask |= uni::kWhiteSpace; return false;
      case 'S': cls.not_flag_mask |= uni::kWhiteSpace; return false;
      case 'd': cls.category_mask |= uni::kMaskDecimal; return false;
      case 'D': cls.not_category_mask |= uni::kMaskDecimal; return false;
      case 'w': cls.word = true; return false;
      case 'W': cls.not_word = true; return false;
      case 'p': parse_property(cls, false); return false;
      case 'P': parse_property(cls, true); return false;
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '1' && c <= '9')) {
          --pos_;
          error(std::string("unsupported escape \\") + c);
        }
        --pos_;
        cp = next_cp();  // escaped punctuation or any other character stands for itself
        return true;
    }
  }

  uint32_t parse_class() {
    Regex::CharClass cls;
    if (!eof() && p_[pos_] == '^') {
      cls.negated = true;
      ++pos_;
    }
    bool first = true;
    while (true) {
      if (eof()) error("unterminated character class");
      char c = p_[pos_];
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      if (c == '[') error("nested character classes are not supported");
      uint32_t lo;
      if (c == '\\') {
        ++pos_;
        if (!parse_escape(cls, lo)) continue;
      } else {
        lo = next_cp();
      }
      if (pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        uint32_t hi;
        if (p_[pos_] == '\\') {
          ++pos_;
          Regex::CharClass dummy;
          if (!parse_escape(dummy, hi)) error("class range ends in a class escape");
        } else {
          hi = next_cp();
        }
        if (hi < lo) error("class range out of order");
        cls.ranges.emplace_back(lo, hi);
      } else {
        cls.ranges.emplace_back(lo, lo);
      }
    }
    return class_node(std::move(cls));
  }

  // Returns false when the construct produced no node (inline flags).
  bool parse_atom(uint32_t& out) {
    char c = p_[pos_];
    if (c == '(') {
      ++pos_;
      if (!eof() && p_[pos_] == '?') {
        ++pos_;
        if (eof()) error("truncated group");
        char k = p_[pos_];
        if (k == ':' ) {
          ++pos_;
          out = group_body();
          return true;
        }
        if (k == '=' || k == '!') {
          ++pos_;
          uint32_t body = group_body();
          Regex::Node n = node_of(Regex::Kind::Look);
          n.negative = k == '!';
          n.kids = {body};
          out = add(std::move(n));
          return true;
        }
        if (k == '<' && pos_ + 1 < p_.size() && (p_[pos_ + 1] == '=' || p_[pos_ + 1] == '!'))
          error("lookbehind is not supported");
        // Inline flags: (?i) (?-i) (?i:...) (?-i:...)
        bool on = true, new_icase = icase_;
        while (!eof() && p_[pos_] != ')' && p_[pos_] != ':') {
          char f = p_[pos_++];
          if (f == '-') on = false;
          else if (f == 'i') new_icase = on;
          else error(std::string("unsupported group flag '") + f + "'");
        }
        if (eof()) error("truncated group");
        if (p_[pos_] == ')') {
          ++pos_;
          icase_ = new_icase;  // until the end of the enclosing group
          return false;
        }
        ++pos_;  // ':'
        bool saved = icase_;
        icase_ = new_icase;
        out = group_body();
        icase_ = saved;
        return true;
      }
      out = group_body();  // capturing group: captures are not needed for splitting
      return true;
    }
    if (c == ')') error("unbalanced ')'");
    if (c == '*' || c == '+' || c == '?') error("quantifier without an operand");
    ++pos_;
    if (c == '[') {
      out = parse_class();
      return true;
    }
    if (c == '.') {
      Regex::CharClass cls;
      cls.any_but_newline = true;
      out = class_node(std::move(cls));
      return true;
    }
    if (c == '^' || c == '$') {
      out = add(node_of(c == '^' ? Regex::Kind::Begin : Regex::Kind::End));
      return true;
    }
    if (c == '\\') {
      if (!eof() && (p_[pos_] == 'A' || p_[pos_] == 'z')) {
        out = add(node_of(p_[pos_] == 'A' ? Regex::Kind::Begin : Regex::Kind::End));
        ++pos_;
        return true;
      }
      Regex::CharClass cls;
      uint32_t cp;
      if (parse_escape(cls, cp)) out = literal(cp);
      else out = class_node(std::move(cls));
      return true;
    }
    --pos_;
    out = literal(next_cp());
    return true;
  }

  uint32_t group_body() {
    // Groups parse recursively: 100,000 '(' must be an error, not a stack overflow. Shipped
    // patterns nest two or three deep.
    if (++groups_open_ > 200) error("groups nested more than 200 deep");
    uint32_t body = parse_alt(true);
    --groups_open_;
    if (eof() || p_[pos_] != ')') error("missing ')'");
    ++pos_;
    return body;
  }
};

Regex::Regex(std::string_view pattern) : pattern_(pattern) {
  RegexParser parser(*this, pattern_);
  root_ = parser.parse();
}

}  // namespace skytrain::pipeline
