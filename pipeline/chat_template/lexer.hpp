// Splits a template into tokens the way jinja2's lexer does under transformers' settings
// (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, default delimiters).
//
// Whitespace is where templates are most fragile, so the rules are jinja2's, literally:
// newlines (\r\n, \r, \n) are normalized to \n and one trailing newline is dropped; `{%-`/`{{-`/`{#-`
// strip all whitespace before the tag; `-%}`/`-}}`/`-#}` strip all whitespace after it; a plain
// `%}` or `#}` eats one following newline (trim_blocks); and a `{%` or `{#` preceded on its line only
// by spaces/tabs removes them (lstrip_blocks) unless written `{%+`. Tag ends are only recognized
// while brackets are balanced, so `{{ {'a': {'b': 1}} }}` lexes as jinja2 lexes it. String
// literals are decoded with Python's unicode-escape rules. Comments vanish; raw blocks become data.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline::jinja {

enum class Tok {
  Data,        // literal template text
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,      // value is the decoded literal
  Integer,
  Float,
  Op,          // operator or punctuation, value is its spelling
  End,
};

struct Token {
  Tok type;
  std::string value;
  size_t offset;  // byte offset in the normalized source, for line/column
};

struct LexedTemplate {
  std::string source;  // newline-normalized source the offsets refer to
  std::vector<Token> tokens;
};

// Throws TemplateError with line and column on malformed input (unclosed tags, strings, comments).
LexedTemplate lex_template(std::string_view source);

// 1-based line and column (in code points) of a byte offset.
void offset_to_line_col(std::string_view source, size_t offset, int& line, int& column);

}  // namespace skytrain::pipeline::jinja
