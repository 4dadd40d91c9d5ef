// Python text semantics over UTF-8 (see py_text.hpp).
#include "py_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <unicode/uchar.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

char32_t utf8_next(std::string_view s, size_t& i) {
  unsigned char c = s[i];
  if (c < 0x80) {
    ++i;
    return c;
  }
  int n = c >= 0xF8 ? -1 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
  if (n < 0 || i + size_t(n) >= s.size()) {
    ++i;  // invalid lead byte or truncated sequence: one byte, kept as is
    return c;
  }
  char32_t cp = c & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return c;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  i += n + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    utf8_next(s, i);
    ++n;
  }
  return n;
}

std::vector<size_t> utf8_starts(std::string_view s) {
  std::vector<size_t> v;
  v.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size();) {
    v.push_back(i);
    utf8_next(s, i);
  }
  v.push_back(s.size());
  return v;
}

bool py_isspace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool py_isprintable(char32_t c) {
  if (c < 0x7F) return c >= 0x20;
  if (c <= 0xA0) return false;  // DEL, C1 controls, NBSP (Zs)
  switch (u_charType(UChar32(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR:
      return false;
    default:
      return true;
  }
}

void append_float_repr(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  if (std::signbit(d)) {
    out += '-';
    d = -d;
  }
  if (d == 0) {
    out += "0.0";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr - buf);
  size_t epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos))
    if (c != '.') digits += c;
  int exp = 0;
  std::from_chars(sci.data() + epos + (sci[epos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  } else if (exp < 0) {
    out += "0.";
    out.append(size_t(-exp - 1), '0');
    out += digits;
  } else {
    size_t int_digits = size_t(exp) + 1;
    if (digits.size() <= int_digits) {
      out += digits;
      out.append(int_digits - digits.size(), '0');
      out += ".0";
    } else {
      out.append(digits, 0, int_digits);
      out += '.';
      out.append(digits, int_digits);
    }
  }
}

void append_string_repr(std::string& out, std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  out += quote;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    char32_t c = utf8_next(s, i);
    if (c == char32_t(quote) || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (py_isprintable(c)) {
      out.append(s.substr(start, i - start));
    } else {
      char b[16];
      if (c < 0x100)
        std::snprintf(b, sizeof b, "\\x%02x", unsigned(c));
      else if (c < 0x10000)
        std::snprintf(b, sizeof b, "\\u%04x", unsigned(c));
      else
        std::snprintf(b, sizeof b, "\\U%08x", unsigned(c));
      out += b;
    }
  }
  out += quote;
}

namespace {

std::string icu_to_utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

bool is_cased(char32_t c) { return u_hasBinaryProperty(UChar32(c), UCHAR_CASED); }

std::string map_codepoint(char32_t c, bool title) {
  icu::UnicodeString u = icu::UnicodeString(UChar32(c));
  if (title) {
    // Full titlecase mapping of a single character: ICU titlecases the first letter of the
    // string when given no break iterator beyond the string itself.
    u.toTitle(nullptr, icu::Locale::getRoot(), U_TITLECASE_NO_LOWERCASE | U_TITLECASE_NO_BREAK_ADJUSTMENT);
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  return icu_to_utf8(u);
}

}  // namespace

std::string py_upper(std::string_view s) {
  if (is_ascii(s)) {
    std::string r(s);
    for (char& c : r)
      if (c >= 'a' && c <= 'z') c = char(c - 32);
    return r;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), int32_t(s.size())));
  u.toUpper(icu::Locale::getRoot());
  return icu_to_utf8(u);
}

std::string py_lower(std::string_view s) {
  if (is_ascii(s)) {
    std::string r(s);
    for (char& c : r)
      if (c >= 'A' && c <= 'Z') c = char(c + 32);
    return r;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), int32_t(s.size())));
  u.toLower(icu::Locale::getRoot());
  return icu_to_utf8(u);
}

std::string py_title(std::string_view s) {
  // str.title(): a cased character following a cased character is lowercased, any other is
  // titlecased.
  std::string out;
  bool prev_cased = false;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8_next(s, i);
    if (c < 0x80) {
      char ch = char(c);
      if (prev_cased && ch >= 'A' && ch <= 'Z') ch = char(ch + 32);
      if (!prev_cased && ch >= 'a' && ch <= 'z') ch = char(ch - 32);
      out += ch;
      prev_cased = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
      continue;
    }
    out += map_codepoint(c, !prev_cased);
    prev_cased = is_cased(c);
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  if (s.empty()) return {};
  size_t i = 0;
  char32_t first = utf8_next(s, i);
  std::string out;
  if (first < 0x80)
    out += (first >= 'a' && first <= 'z') ? char(first - 32) : char(first);
  else
    out += map_codepoint(first, true);
  out += py_lower(s.substr(i));
  return out;
}

std::string_view py_strip(std::string_view s, const std::string* chars, StripSide side) {
  auto strip_this = [&](char32_t c) {
    if (!chars) return py_isspace(c);
    for (size_t j = 0; j < chars->size();)
      if (utf8_next(*chars, j) == c) return true;
    return false;
  };
  size_t b = 0, e = s.size();
  if (side != StripSide::Right) {
    while (b < e) {
      size_t j = b;
      if (!strip_this(utf8_next(s, j))) break;
      b = j;
    }
  }
  if (side != StripSide::Left) {
    while (e > b) {
      size_t start = e - 1;
      while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
      size_t j = start;
      char32_t c = utf8_next(s, j);
      if (j != e) start = e - 1, c = static_cast<unsigned char>(s[e - 1]);  // invalid tail byte
      if (!strip_this(c)) break;
      e = start;
    }
  }
  return s.substr(b, e - b);
}

namespace {

std::vector<std::string> split_whitespace(std::string_view s, int64_t maxsplit, bool from_right) {
  // Tokenize into words with their boundaries, then rejoin the unsplit remainder.
  struct Span {
    size_t b, e;
  };
  std::vector<Span> words;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    char32_t c = utf8_next(s, j);
    if (py_isspace(c)) {
      i = j;
      continue;
    }
    size_t b = i;
    size_t e = j;
    i = j;
    while (i < s.size()) {
      size_t k = i;
      if (py_isspace(utf8_next(s, k))) break;
      i = k;
      e = k;
    }
    words.push_back({b, e});
  }
  std::vector<std::string> out;
  if (maxsplit < 0 || words.size() <= size_t(maxsplit)) {
    for (auto& w : words) out.emplace_back(s.substr(w.b, w.e - w.b));
    return out;
  }
  // More words than splits: the unsplit remainder keeps its outer whitespace, as in CPython.
  size_t n = size_t(maxsplit);
  if (!from_right) {
    for (size_t k = 0; k < n; ++k) out.emplace_back(s.substr(words[k].b, words[k].e - words[k].b));
    out.emplace_back(s.substr(words[n].b));
  } else {
    size_t first_split = words.size() - n;
    out.emplace_back(s.substr(0, words[first_split - 1].e));
    for (size_t k = first_split; k < words.size(); ++k)
      out.emplace_back(s.substr(words[k].b, words[k].e - words[k].b));
  }
  return out;
}

}  // namespace

std::vector<std::string> py_split(std::string_view s, const std::string* sep, int64_t maxsplit, bool from_right) {
  if (!sep) return split_whitespace(s, maxsplit, from_right);
  if (sep->empty()) throw Error("ValueError: empty separator");
  std::vector<std::string> out;
  if (!from_right) {
    size_t pos = 0;
    int64_t done = 0;
    while (maxsplit < 0 || done < maxsplit) {
      size_t f = s.find(*sep, pos);
      if (f == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, f - pos));
      pos = f + sep->size();
      ++done;
    }
    out.emplace_back(s.substr(pos));
  } else {
    size_t end = s.size();
    int64_t done = 0;
    std::vector<std::string> rev;
    while (maxsplit < 0 || done < maxsplit) {
      if (end < sep->size()) break;
      size_t f = s.rfind(*sep, end - sep->size());
      if (f == std::string_view::npos) break;
      rev.emplace_back(s.substr(f + sep->size(), end - f - sep->size()));
      end = f;
      ++done;
    }
    rev.emplace_back(s.substr(0, end));
    out.assign(rev.rbegin(), rev.rend());
  }
  return out;
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
  std::vector<std::string> out;
  size_t line_start = 0;
  for (size_t i = 0; i < s.size();) {
    size_t cstart = i;
    char32_t c = utf8_next(s, i);
    bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
               c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) continue;
    if (c == '\r' && i < s.size() && s[i] == '\n') ++i;
    out.emplace_back(s.substr(line_start, (keepends ? i : cstart) - line_start));
    line_start = i;
  }
  if (line_start < s.size()) out.emplace_back(s.substr(line_start));
  return out;
}

}  // namespace skytrain::pipeline::jinja
