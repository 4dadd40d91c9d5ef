// Expression half of the parser: jinja2's precedence climbing from conditional expressions down
// to primaries, postfix access, calls, filters and tests (see parser.hpp for the quirks kept).
#pragma once
#include <initializer_list>

#include "token_cursor.hpp"

namespace skytrain::pipeline::jinja {

class ExprParser : public TokenCursor {
 public:
  using TokenCursor::TokenCursor;

  // Comma-separated expressions; a single one without a trailing comma is not a tuple.
  ExprPtr parse_tuple(bool with_condexpr, std::initializer_list<const char*> extra_end, bool explicit_parens = false);
  bool tuple_ends(std::initializer_list<const char*> extra_end) const;
  ExprPtr parse_expression(bool with_condexpr) { return with_condexpr ? parse_condexpr() : parse_or(); }
  ExprPtr parse_condexpr();
  ExprPtr binary(ExprKind k, size_t off, ExprPtr a, ExprPtr b, Op op = Op::None);
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  int64_t parse_int_literal(const std::string& text, size_t off) const;
  ExprPtr parse_postfix(ExprPtr node);
  ExprPtr parse_subscribed();
  void parse_call_args(Expr& e);
  ExprPtr parse_call(ExprPtr callee);
  ExprPtr parse_filter_expr(ExprPtr node);
  // `| f(args) | g ...`; with leading_pipe=false the first filter has no `|` ({% filter f %}).
  ExprPtr parse_filter_chain(ExprPtr subject, bool leading_pipe = true);
  ExprPtr parse_test(ExprPtr subject);
};

}  // namespace skytrain::pipeline::jinja
