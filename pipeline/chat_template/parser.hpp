// Recursive-descent parser for the Jinja2 statement and expression grammar, following jinja2's
// own parser (same precedence levels and the same quirks: `-x|f` filters the negation, `**` is
// left-associative, tests bind like filters, `a if b` without else yields undefined).
//
// Supported tags: if/elif/else, for (with else, `if` filter, recursive), set (incl. namespace
// attributes, tuple unpacking and block set), macro, call, filter, with, break/continue
// (loopcontrols), raw (in the lexer), and transformers' generation/endgeneration. Tags that need a
// template loader (extends, block, include, import) are rejected by name.
#pragma once
#include <string_view>

#include "ast.hpp"

namespace skytrain::pipeline::jinja {

// Throws TemplateError naming the line and column of the offending token.
ParsedTemplate parse_template(std::string_view source);

}  // namespace skytrain::pipeline::jinja
