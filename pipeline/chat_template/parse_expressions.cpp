// Jinja2 expression grammar (see expr_parser.hpp).
#include "expr_parser.hpp"

#include <charconv>
#include <cstdlib>

namespace skytrain::pipeline::jinja {

// Comma-separated expressions; a single one without a trailing comma is not a tuple.
ExprPtr ExprParser::parse_tuple(bool with_condexpr, std::initializer_list<const char*> extra_end, bool explicit_parens) {
  size_t off = cur().offset;
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) {
      if (!skip_op(",")) break;
      is_tuple = true;
    }
    if (tuple_ends(extra_end)) break;
    items.push_back(with_condexpr ? parse_expression(true) : parse_expression(false));
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parens) fail("expected an expression");
  }
  auto t = make(ExprKind::Tuple, off);
  t->args = std::move(items);
  return t;
}

bool ExprParser::tuple_ends(std::initializer_list<const char*> extra_end) const {
  const Token& t = cur();
  if (t.type == Tok::VarEnd || t.type == Tok::BlockEnd || t.type == Tok::End) return true;
  if (t.type == Tok::Op && (t.value == ")" || t.value == "]" || t.value == "}" || t.value == "="))
    return true;
  for (const char* e : extra_end)
    if (t.type == Tok::Name && t.value == e) return true;
  return false;
}

ExprPtr ExprParser::parse_condexpr() {
  size_t off = cur().offset;
  ExprPtr e = parse_or();
  while (skip_name("if")) {
    auto c = make(ExprKind::CondExpr, off);
    ExprPtr test = parse_or();
    ExprPtr otherwise;
    if (skip_name("else")) {
      Nest nest(*this);  // `a if b else c if d else ...` recurses here
      otherwise = parse_condexpr();
    }
    c->args.push_back(std::move(test));
    c->args.push_back(std::move(e));
    c->args.push_back(std::move(otherwise));
    e = std::move(c);
  }
  return e;
}

ExprPtr ExprParser::binary(ExprKind k, size_t off, ExprPtr a, ExprPtr b, Op op) {
  auto e = make(k, off);
  e->op = op;
  e->args.push_back(std::move(a));
  e->args.push_back(std::move(b));
  return e;
}

ExprPtr ExprParser::parse_or() {
  size_t off = cur().offset;
  ExprPtr e = parse_and();
  while (skip_name("or")) e = binary(ExprKind::Or, off, std::move(e), parse_and());
  return e;
}

ExprPtr ExprParser::parse_and() {
  size_t off = cur().offset;
  ExprPtr e = parse_not();
  while (skip_name("and")) e = binary(ExprKind::And, off, std::move(e), parse_not());
  return e;
}

ExprPtr ExprParser::parse_not() {
  if (is_name("not")) {
    Nest nest(*this);  // `not not not ...` recurses here
    size_t off = advance().offset;
    auto e = make(ExprKind::Unary, off);
    e->op = Op::Not;
    e->args.push_back(parse_not());
    return e;
  }
  return parse_compare();
}

ExprPtr ExprParser::parse_compare() {
  size_t off = cur().offset;
  ExprPtr first = parse_math1();
  ExprPtr cmp;
  while (true) {
    Op op = Op::None;
    if (cur().type == Tok::Op) {
      const std::string& v = cur().value;
      if (v == "==") op = Op::Eq;
      else if (v == "!=") op = Op::Ne;
      else if (v == "<") op = Op::Lt;
      else if (v == "<=") op = Op::Le;
      else if (v == ">") op = Op::Gt;
      else if (v == ">=") op = Op::Ge;
      if (op != Op::None) advance();
    } else if (is_name("in")) {
      op = Op::In;
      advance();
    } else if (is_name("not") && peek().type == Tok::Name && peek().value == "in") {
      op = Op::NotIn;
      advance();
      advance();
    }
    if (op == Op::None) break;
    if (!cmp) {
      cmp = make(ExprKind::Compare, off);
      cmp->args.push_back(std::move(first));
    }
    cmp->ops.push_back(op);
    cmp->args.push_back(parse_math1());
  }
  return cmp ? std::move(cmp) : std::move(first);
}

ExprPtr ExprParser::parse_math1() {
  size_t off = cur().offset;
  ExprPtr e = parse_concat();
  while (is_op("+") || is_op("-")) {
    Op op = advance().value == "+" ? Op::Add : Op::Sub;
    e = binary(ExprKind::Binary, off, std::move(e), parse_concat(), op);
  }
  return e;
}

ExprPtr ExprParser::parse_concat() {
  size_t off = cur().offset;
  ExprPtr e = parse_math2();
  if (!is_op("~")) return e;
  auto c = make(ExprKind::Concat, off);
  c->args.push_back(std::move(e));
  while (skip_op("~")) c->args.push_back(parse_math2());
  return c;
}

ExprPtr ExprParser::parse_math2() {
  size_t off = cur().offset;
  ExprPtr e = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    const std::string v = advance().value;
    Op op = v == "*" ? Op::Mul : v == "/" ? Op::Div : v == "//" ? Op::FloorDiv : Op::Mod;
    e = binary(ExprKind::Binary, off, std::move(e), parse_pow(), op);
  }
  return e;
}

ExprPtr ExprParser::parse_pow() {
  size_t off = cur().offset;
  ExprPtr e = parse_unary(true);
  while (skip_op("**")) e = binary(ExprKind::Binary, off, std::move(e), parse_unary(true), Op::Pow);
  return e;
}

ExprPtr ExprParser::parse_unary(bool with_filter) {
  Nest nest(*this);  // every nested primary (parentheses, lists, call arguments) passes here
  size_t off = cur().offset;
  ExprPtr node;
  if (is_op("-") || is_op("+")) {
    Op op = advance().value == "-" ? Op::Neg : Op::Pos;
    node = make(ExprKind::Unary, off);
    node->op = op;
    node->args.push_back(parse_unary(false));
  } else {
    node = parse_primary();
  }
  node = parse_postfix(std::move(node));
  if (with_filter) node = parse_filter_expr(std::move(node));
  return node;
}

ExprPtr ExprParser::parse_primary() {
  const Token& t = cur();
  size_t off = t.offset;
  switch (t.type) {
    case Tok::Name: {
      auto e = make(ExprKind::Const, off);
      const std::string& v = t.value;
      if (v == "true" || v == "True") e->constant = Value(true);
      else if (v == "false" || v == "False") e->constant = Value(false);
      else if (v == "none" || v == "None") e->constant = Value::none();
      else {
        e->kind = ExprKind::Name;
        e->name = v;
      }
      advance();
      return e;
    }
    case Tok::String: {
      std::string s = advance().value;
      while (cur().type == Tok::String) s += advance().value;
      auto e = make(ExprKind::Const, off);
      e->constant = Value(std::move(s));
      return e;
    }
    case Tok::Integer: {
      auto e = make(ExprKind::Const, off);
      e->constant = Value(parse_int_literal(t.value, off));
      advance();
      return e;
    }
    case Tok::Float: {
      auto e = make(ExprKind::Const, off);
      e->constant = Value(std::strtod(t.value.c_str(), nullptr));
      advance();
      return e;
    }
    case Tok::Op:
      if (t.value == "(") {
        advance();
        ExprPtr e = parse_tuple(true, {}, true);
        expect_op(")");
        return e;
      }
      if (t.value == "[") {
        advance();
        auto e = make(ExprKind::List, off);
        while (!is_op("]")) {
          if (!e->args.empty()) {
            expect_op(",");
            if (is_op("]")) break;
          }
          e->args.push_back(parse_expression(true));
        }
        advance();
        return e;
      }
      if (t.value == "{") {
        advance();
        auto e = make(ExprKind::Dict, off);
        while (!is_op("}")) {
          if (!e->args.empty()) {
            expect_op(",");
            if (is_op("}")) break;
          }
          e->args.push_back(parse_expression(true));
          expect_op(":");
          e->args.push_back(parse_expression(true));
        }
        advance();
        return e;
      }
      break;
    default: break;
  }
  fail("unexpected token in expression");
}

int64_t ExprParser::parse_int_literal(const std::string& text, size_t off) const {
  int base = 10;
  std::string_view digits = text;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o' || text[1] == 'b')) {
    base = text[1] == 'x' ? 16 : text[1] == 'o' ? 8 : 2;
    digits.remove_prefix(2);
  }
  int64_t v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (r.ec != std::errc()) fail_at(off, "integer literal " + text + " is out of range");
  return v;
}

ExprPtr ExprParser::parse_postfix(ExprPtr node) {
  while (true) {
    if (is_op(".")) {
      size_t off = advance().offset;
      if (cur().type == Tok::Name) {
        auto e = make(ExprKind::Getattr, off);
        e->name = advance().value;
        e->args.push_back(std::move(node));
        node = std::move(e);
      } else if (cur().type == Tok::Integer) {
        auto e = make(ExprKind::Getitem, off);
        auto idx = make(ExprKind::Const, cur().offset);
        idx->constant = Value(parse_int_literal(advance().value, off));
        e->args.push_back(std::move(node));
        e->args.push_back(std::move(idx));
        node = std::move(e);
      } else {
        fail("expected an attribute name");
      }
    } else if (is_op("[")) {
      size_t off = advance().offset;
      std::vector<ExprPtr> subs;
      bool tuple = false;
      while (!is_op("]")) {
        if (!subs.empty()) {
          expect_op(",");
          tuple = true;
          if (is_op("]")) break;
        }
        subs.push_back(parse_subscribed());
      }
      advance();
      if (subs.empty()) fail_at(off, "expected a subscript");
      auto e = make(ExprKind::Getitem, off);
      e->args.push_back(std::move(node));
      if (tuple) {
        auto t = make(ExprKind::Tuple, off);
        t->args = std::move(subs);
        e->args.push_back(std::move(t));
      } else {
        e->args.push_back(std::move(subs[0]));
      }
      node = std::move(e);
    } else if (is_op("(")) {
      node = parse_call(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr ExprParser::parse_subscribed() {
  size_t off = cur().offset;
  ExprPtr first;
  if (!is_op(":")) {
    first = parse_expression(true);
    if (!is_op(":")) return first;
  }
  advance();  // ':'
  auto s = make(ExprKind::Slice, off);
  s->args.push_back(std::move(first));
  ExprPtr stop, step;
  if (!is_op("]") && !is_op(",") && !is_op(":")) stop = parse_expression(true);
  if (skip_op(":"))
    if (!is_op("]") && !is_op(",")) step = parse_expression(true);
  s->args.push_back(std::move(stop));
  s->args.push_back(std::move(step));
  return s;
}

void ExprParser::parse_call_args(Expr& e) {
  expect_op("(");
  bool any = false;
  while (!is_op(")")) {
    if (any) {
      expect_op(",");
      if (is_op(")")) break;
    }
    any = true;
    if (is_op("*") || is_op("**")) fail("*args and **kwargs in calls are not supported");
    if (cur().type == Tok::Name && peek().type == Tok::Op && peek().value == "=") {
      std::string key = advance().value;
      advance();
      e.kwargs.emplace_back(std::move(key), parse_expression(true));
    } else {
      if (!e.kwargs.empty()) fail("positional argument after keyword argument");
      e.args.push_back(parse_expression(true));
    }
  }
  advance();
}

ExprPtr ExprParser::parse_call(ExprPtr callee) {
  auto e = make(ExprKind::Call, cur().offset);
  e->args.push_back(std::move(callee));
  parse_call_args(*e);
  return e;
}

ExprPtr ExprParser::parse_filter_expr(ExprPtr node) {
  while (true) {
    if (is_op("|")) {
      node = parse_filter_chain(std::move(node));
    } else if (is_name("is")) {
      node = parse_test(std::move(node));
    } else if (is_op("(")) {
      node = parse_call(std::move(node));
    } else {
      return node;
    }
  }
}

// `| f(args) | g ...`; with leading_pipe=false the first filter has no `|` ({% filter f %}).
ExprPtr ExprParser::parse_filter_chain(ExprPtr subject, bool leading_pipe) {
  bool first = true;
  while ((first && !leading_pipe) || is_op("|")) {
    if (!(first && !leading_pipe)) advance();
    first = false;
    auto f = make(ExprKind::Filter, cur().offset);
    f->name = expect_name();
    while (is_op(".")) {
      advance();
      f->name += "." + expect_name();
    }
    f->args.push_back(std::move(subject));
    if (is_op("(")) parse_call_args(*f);
    subject = std::move(f);
  }
  return subject;
}

ExprPtr ExprParser::parse_test(ExprPtr subject) {
  size_t off = advance().offset;  // 'is'
  bool negated = skip_name("not");
  auto t = make(ExprKind::Test, cur().offset);
  t->name = expect_name();
  while (is_op(".")) {
    advance();
    t->name += "." + expect_name();
  }
  t->args.push_back(std::move(subject));
  const Token& c = cur();
  bool primary_start = c.type == Tok::Name || c.type == Tok::String || c.type == Tok::Integer ||
                       c.type == Tok::Float || (c.type == Tok::Op && (c.value == "[" || c.value == "{"));
  if (is_op("(")) {
    parse_call_args(*t);
  } else if (primary_start && !is_name("else") && !is_name("or") && !is_name("and")) {
    if (is_name("is")) fail("you cannot chain multiple tests with is");
    t->args.push_back(parse_postfix(parse_primary()));
  }
  if (!negated) return t;
  auto n = make(ExprKind::Unary, off);
  n->op = Op::Not;
  n->args.push_back(std::move(t));
  return n;
}

}  // namespace skytrain::pipeline::jinja
