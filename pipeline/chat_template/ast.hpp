// The parsed template: expression and statement trees, built once per template by the parser
// and then only read (so one parsed template is shared by every rendering thread).
//
// Nodes are deliberately uniform (one struct per category, a kind tag and a few generic slots)
// rather than a class per construct: the interpreter dispatches on the kind with a switch, and the
// layout of each kind is documented next to it. Every node records the byte offset it starts at,
// which errors turn into a line and column.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "value.hpp"

namespace skytrain::pipeline::jinja {

enum class ExprKind {
  Const,     // constant
  Name,      // name
  List,      // args = items
  Tuple,     // args = items
  Dict,      // args = k0, v0, k1, v1, ...
  Getattr,   // args[0] = object, name = attribute (`a.b`)
  Getitem,   // args[0] = object, args[1] = index or Slice (`a[b]`, `a.0`)
  Slice,     // args = start, stop, step (each may be null)
  Call,      // args[0] = callee, args[1..] = positional, kwargs
  Filter,    // args[0] = subject (null inside {% filter %}), args[1..] = positional, kwargs, name
  Test,      // args[0] = subject, args[1..] = positional, kwargs, name
  Unary,     // op = Neg/Pos/Not, args[0]
  Binary,    // op, args[0], args[1]
  Compare,   // args[0] op[0] args[1] op[1] args[2] ... (chained, as in Python)
  And,       // args[0], args[1] (value of the deciding operand, as in Python)
  Or,
  CondExpr,  // args = test, then-value, else-value (else may be null -> undefined)
  Concat,    // args joined with `~`
};

enum class Op {
  None,
  Add, Sub, Mul, Div, FloorDiv, Mod, Pow,  // binary arithmetic
  Neg, Pos, Not,                          // unary
  Eq, Ne, Lt, Le, Gt, Ge, In, NotIn,      // comparisons
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;
  // Frees the subtree without recursion (parser.cpp): a chain such as `a+a+...+a` is a tree as
  // deep as it is long, and the parser rejects one past kMaxTemplateNesting only once built.
  ~Expr();

  ExprKind kind;
  size_t offset = 0;
  Value constant;
  std::string name;
  Op op = Op::None;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<Op> ops;
};

enum class StmtKind {
  Data,         // text
  Output,       // expr: {{ expr }}
  If,           // expr = test, body, else_body (an elif is an If inside else_body)
  For,          // target, expr = iterable, cond = optional filter, body, else_body, recursive
  Set,          // target (Name, Tuple of Names, or Getattr on a namespace), expr
  SetBlock,     // target (Name), body, filter (optional Filter chain with null subject)
  Macro,        // text = name, params (name, default or null), body
  CallBlock,    // expr = the Call, params = caller's parameters, body = caller's body
  FilterBlock,  // filter = Filter chain with null subject, body
  With,         // params = assignments, body
  Break,
  Continue,
  Generation,   // transformers' {% generation %}: renders its body
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
  StmtKind kind;
  size_t offset = 0;
  std::string text;
  ExprPtr expr, target, cond, filter;
  std::vector<StmtPtr> body, else_body;
  std::vector<std::pair<std::string, ExprPtr>> params;
  bool recursive = false;
};

// Does any statement (at any depth) use transformers' {% generation %} tag?
inline bool contains_generation_block(const std::vector<StmtPtr>& body) {
  for (const auto& s : body)
    if (s->kind == StmtKind::Generation || contains_generation_block(s->body) || contains_generation_block(s->else_body))
      return true;
  return false;
}

struct ParsedTemplate {
  std::string source;  // normalized source, for error positions
  std::vector<StmtPtr> body;
};

}  // namespace skytrain::pipeline::jinja
