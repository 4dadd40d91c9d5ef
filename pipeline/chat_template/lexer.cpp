// jinja2's lexer rules under transformers' settings (see lexer.hpp).
#include "lexer.hpp"

#include <cstdio>

#include "py_text.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

void offset_to_line_col(std::string_view source, size_t offset, int& line, int& column) {
  line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < source.size(); ++i)
    if (source[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  column = int(utf8_length(source.substr(line_start, std::min(offset, source.size()) - line_start))) + 1;
}

namespace {

std::string normalize_newlines(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += '\n';
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out += in[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();  // keep_trailing_newline=False
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

class Lexer {
 public:
  explicit Lexer(std::string src) { out_.source = std::move(src); }

  LexedTemplate run() {
    const std::string& s = out_.source;
    size_t pos = 0;
    bool line_starting = true;
    while (pos < s.size()) {
      size_t p = find_tag_start(pos);
      if (p == std::string::npos) {
        emit(Tok::Data, s.substr(pos), pos);
        break;
      }
      char kind = s[p + 1];
      char sign = (p + 2 < s.size() && (s[p + 2] == '-' || s[p + 2] == '+')) ? s[p + 2] : 0;
      size_t after_begin = p + 2 + (sign ? 1 : 0);
      size_t raw_end = kind == '%' ? match_raw_begin(p + 2 + (sign ? 1 : 0)) : std::string::npos;
      std::string_view text(s.data() + pos, p - pos);
      text = strip_before_tag(text, sign, kind != '{', line_starting);
      if (!text.empty()) emit(Tok::Data, std::string(text), pos);
      if (raw_end != std::string::npos) {
        pos = lex_raw(raw_end, line_starting);
      } else if (kind == '#') {
        pos = skip_comment(p, after_begin, line_starting);
      } else {
        pos = lex_tag(p, after_begin, kind == '%', line_starting);
      }
    }
    out_.tokens.push_back({Tok::End, "", s.size()});
    return std::move(out_);
  }

 private:
  LexedTemplate out_;

  [[noreturn]] void fail_at(size_t offset, const std::string& msg) {
    int line, col;
    offset_to_line_col(out_.source, offset, line, col);
    throw TemplateError("chat template syntax error at line " + std::to_string(line) + ", column " +
                            std::to_string(col) + ": " + msg,
                        line, col);
  }

  void emit(Tok t, std::string v, size_t off) { out_.tokens.push_back({t, std::move(v), off}); }

  size_t find_tag_start(size_t pos) const {
    const std::string& s = out_.source;
    for (size_t i = s.find('{', pos); i != std::string::npos && i + 1 < s.size(); i = s.find('{', i + 1)) {
      char c = s[i + 1];
      if (c == '{' || c == '%' || c == '#') return i;
    }
    return std::string::npos;
  }

  // After "{%" and its sign: `\s*raw\s*(-%}\s*|%})`; returns the end of the match or npos.
  size_t match_raw_begin(size_t i) const {
    const std::string& s = out_.source;
    i = skip_ws(i);
    if (s.compare(i, 3, "raw") != 0) return std::string::npos;
    i = skip_ws(i + 3);
    if (s.compare(i, 3, "-%}") == 0) return skip_ws(i + 3);
    if (s.compare(i, 2, "%}") == 0) return i + 2;
    return std::string::npos;
  }

  size_t skip_ws(size_t i) const {
    const std::string& s = out_.source;
    while (i < s.size()) {
      size_t j = i;
      if (!py_isspace(utf8_next(s, j))) break;
      i = j;
    }
    return i;
  }

  // jinja2's OptionalLStrip: `-` strips all whitespace before the tag; otherwise, for block and
  // comment tags, spaces/tabs between the line start and the tag go (lstrip_blocks).
  std::string_view strip_before_tag(std::string_view text, char sign, bool lstrip_applies, bool line_starting) {
    if (sign == '-') return py_strip(text, nullptr, StripSide::Right);
    if (sign == '+' || !lstrip_applies) return text;
    size_t nl = text.rfind('\n');
    size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
    if (l_pos > 0 || line_starting) {
      for (size_t i = l_pos; i < text.size(); ++i)
        if (text[i] != ' ' && text[i] != '\t') return text;
      return text.substr(0, l_pos);
    }
    return text;
  }

  // After a raw-begin tag: data up to `{%(-|+|)\s*endraw\s*(+%}|-%}\s*|%}\n?)`.
  size_t lex_raw(size_t i, bool& line_starting) {
    const std::string& s = out_.source;
    for (size_t q = s.find("{%", i); q != std::string::npos; q = s.find("{%", q + 1)) {
      char sign = (q + 2 < s.size() && (s[q + 2] == '-' || s[q + 2] == '+')) ? s[q + 2] : 0;
      size_t k = skip_ws(q + 2 + (sign ? 1 : 0));
      if (s.compare(k, 6, "endraw") != 0) continue;
      k = skip_ws(k + 6);
      size_t end;
      if (s.compare(k, 3, "+%}") == 0)
        end = k + 3;
      else if (s.compare(k, 3, "-%}") == 0)
        end = skip_ws(k + 3);
      else if (s.compare(k, 2, "%}") == 0)
        end = k + 2 + (k + 2 < s.size() && s[k + 2] == '\n' ? 1 : 0);
      else
        continue;
      std::string_view text(s.data() + i, q - i);
      text = strip_before_tag(text, sign, true, false);
      if (!text.empty()) emit(Tok::Data, std::string(text), i);
      line_starting = s[end - 1] == '\n';
      return end;
    }
    fail_at(i, "missing end of raw directive");
  }

  size_t skip_comment(size_t begin, size_t i, bool& line_starting) {
    const std::string& s = out_.source;
    for (size_t q = i; q < s.size(); ++q) {
      size_t end = std::string::npos;
      if (s.compare(q, 3, "+#}") == 0)
        end = q + 3;
      else if (s.compare(q, 3, "-#}") == 0)
        end = skip_ws(q + 3);
      else if (s.compare(q, 2, "#}") == 0)
        end = q + 2 + (q + 2 < s.size() && s[q + 2] == '\n' ? 1 : 0);
      if (end != std::string::npos) {
        line_starting = s[end - 1] == '\n';
        return end;
      }
    }
    fail_at(begin, "missing end of comment tag");
  }

  size_t lex_tag(size_t begin, size_t i, bool block, bool& line_starting) {
    const std::string& s = out_.source;
    emit(block ? Tok::BlockBegin : Tok::VarBegin, block ? "{%" : "{{", begin);
    std::string balance;
    while (true) {
      if (balance.empty()) {
        size_t end = std::string::npos;
        if (block) {
          if (s.compare(i, 3, "+%}") == 0)
            end = i + 3;
          else if (s.compare(i, 3, "-%}") == 0)
            end = skip_ws(i + 3);
          else if (s.compare(i, 2, "%}") == 0)
            end = i + 2 + (i + 2 < s.size() && s[i + 2] == '\n' ? 1 : 0);  // trim_blocks
        } else {
          if (s.compare(i, 3, "-}}") == 0)
            end = skip_ws(i + 3);
          else if (s.compare(i, 2, "}}") == 0)
            end = i + 2;
        }
        if (end != std::string::npos) {
          emit(block ? Tok::BlockEnd : Tok::VarEnd, "", i);
          line_starting = s[end - 1] == '\n';
          return end;
        }
      }
      if (i >= s.size()) {
        // The parser reports "unexpected end of template" at the End token.
        return i;
      }
      size_t j = skip_ws(i);
      if (j != i) {
        i = j;
        continue;
      }
      char c = s[i];
      if (is_digit(c)) {
        i = lex_number(i);
        continue;
      }
      if (is_name_start(c)) {
        size_t e = i + 1;
        while (e < s.size() && is_name_char(s[e])) ++e;
        emit(Tok::Name, s.substr(i, e - i), i);
        i = e;
        continue;
      }
      if (c == '\'' || c == '"') {
        i = lex_string(i);
        continue;
      }
      static const char* const ops[] = {"**", "//", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[",
                                        "]",  "(",  ")",  "{",  "}",  ">",  "<", "=", ".", ":", "|", ",", ";"};
      std::string op;
      for (const char* o : ops)
        if (s.compare(i, std::char_traits<char>::length(o), o) == 0) {
          op = o;
          break;
        }
      if (op.empty()) {
        size_t k = i;
        std::string ch;
        append_utf8(ch, utf8_next(s, k));
        fail_at(i, "unexpected char '" + ch + "'");
      }
      if (op == "(" || op == "[" || op == "{") {
        balance += op[0];
      } else if (op == ")" || op == "]" || op == "}") {
        char want = op == ")" ? '(' : op == "]" ? '[' : '{';
        if (balance.empty()) fail_at(i, "unexpected '" + op + "'");
        if (balance.back() != want) {
          char open = balance.back();
          std::string expected = open == '(' ? ")" : open == '[' ? "]" : "}";
          fail_at(i, "unexpected '" + op + "', expected '" + expected + "'");
        }
        balance.pop_back();
      }
      emit(Tok::Op, op, i);
      i += op.size();
    }
  }

  // jinja2's float_re then integer_re (underscores allowed between digits; 0x/0o/0b prefixes).
  size_t lex_number(size_t i) {
    const std::string& s = out_.source;
    auto digits = [&](size_t k) {  // (\d+_)*\d+ ; returns end or npos
      if (k >= s.size() || !is_digit(s[k])) return std::string::npos;
      while (k < s.size()) {
        while (k < s.size() && is_digit(s[k])) ++k;
        if (k + 1 < s.size() && s[k] == '_' && is_digit(s[k + 1])) {
          ++k;
          continue;
        }
        break;
      }
      return k;
    };
    auto exponent = [&](size_t k) {  // e[+-]?digits
      if (k < s.size() && (s[k] == 'e' || s[k] == 'E')) {
        size_t m = k + 1;
        if (m < s.size() && (s[m] == '+' || s[m] == '-')) ++m;
        return digits(m);
      }
      return std::string::npos;
    };
    bool after_dot = i > 0 && s[i - 1] == '.';
    size_t int_end = digits(i);
    if (!after_dot) {
      size_t frac_end = (int_end < s.size() && s[int_end] == '.') ? digits(int_end + 1) : std::string::npos;
      size_t e1 = exponent(frac_end != std::string::npos ? frac_end : int_end);
      size_t fend = e1 != std::string::npos ? e1 : frac_end;
      if (fend != std::string::npos) {
        std::string text;
        for (size_t k = i; k < fend; ++k)
          if (s[k] != '_') text += s[k];
        emit(Tok::Float, text, i);
        return fend;
      }
    }
    // Integers: 0x.., 0o.., 0b.., [1-9](_?\d)*, 0(_?0)*
    if (s[i] == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X' || s[i + 1] == 'o' ||
                                             s[i + 1] == 'O' || s[i + 1] == 'b' || s[i + 1] == 'B')) {
      char base = char(s[i + 1] | 0x20);
      auto ok = [&](char ch) {
        return base == 'x' ? is_hex(ch) : base == 'o' ? (ch >= '0' && ch <= '7') : (ch == '0' || ch == '1');
      };
      size_t k = i + 2;
      std::string text = std::string("0") + base;
      while (k < s.size()) {
        if (s[k] == '_' && k + 1 < s.size() && ok(s[k + 1])) ++k;
        if (k < s.size() && ok(s[k])) {
          text += s[k++];
        } else {
          break;
        }
      }
      if (text.size() > 2) {
        emit(Tok::Integer, text, i);
        return k;
      }
    }
    size_t k = i + 1;
    std::string text(1, s[i]);
    bool zero = s[i] == '0';
    while (k < s.size()) {
      size_t m = k;
      if (s[m] == '_') ++m;
      if (m < s.size() && is_digit(s[m]) && (!zero || s[m] == '0')) {
        text += s[m];
        k = m + 1;
      } else {
        break;
      }
    }
    emit(Tok::Integer, text, i);
    return k;
  }

  size_t lex_string(size_t i) {
    const std::string& s = out_.source;
    char q = s[i];
    size_t k = i + 1;
    while (k < s.size() && s[k] != q) {
      if (s[k] == '\\') ++k;
      ++k;
    }
    if (k >= s.size()) fail_at(i, "unexpected char '" + std::string(1, q) + "'");
    emit(Tok::String, decode_unicode_escape(std::string_view(s).substr(i + 1, k - i - 1), i), i);
    return k + 1;
  }

  // Python's bytes.decode("unicode-escape") over the literal's text (non-ASCII passes through).
  std::string decode_unicode_escape(std::string_view t, size_t at) {
    std::string out;
    out.reserve(t.size());
    for (size_t k = 0; k < t.size(); ++k) {
      char c = t[k];
      if (c != '\\' || k + 1 >= t.size()) {
        out += c;
        continue;
      }
      char e = t[++k];
      switch (e) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (k + n >= t.size()) fail_at(at, "truncated \\" + std::string(1, e) + " escape");
          char32_t cp = 0;
          for (size_t m = 1; m <= n; ++m) {
            char h = t[k + m];
            if (!is_hex(h)) fail_at(at, "truncated \\" + std::string(1, e) + " escape");
            cp = cp * 16 + char32_t(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
          }
          if (cp > 0x10FFFF) fail_at(at, "illegal Unicode character in escape");
          append_utf8(out, cp);
          k += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = char32_t(e - '0');
            for (int m = 0; m < 2 && k + 1 < t.size() && t[k + 1] >= '0' && t[k + 1] <= '7'; ++m)
              cp = cp * 8 + char32_t(t[++k] - '0');
            append_utf8(out, cp);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    return out;
  }
};

}  // namespace

LexedTemplate lex_template(std::string_view source) { return Lexer(normalize_newlines(source)).run(); }

}  // namespace skytrain::pipeline::jinja
