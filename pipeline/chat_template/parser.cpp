// Jinja2 statement grammar over the lexer's tokens, on top of the expression parser (see
// parser.hpp).
#include "parser.hpp"

#include <initializer_list>

#include "expr_parser.hpp"
#include "lexer.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {
namespace {

class StatementParser : public ExprParser {
 public:
  using ExprParser::ExprParser;

  ParsedTemplate run() {
    ParsedTemplate t;
    t.body = subparse({});
    if (cur().type != Tok::End) fail("unexpected token");
    check_expression_depth(t.body);
    t.source = std::move(lx_.source);
    return t;
  }

 private:
  // Parses until a block tag whose name is in `ends` (not consumed: cur() is that name).
  std::vector<StmtPtr> subparse(std::initializer_list<const char*> ends);
  StmtPtr parse_statement(std::initializer_list<const char*> open_ends);
  StmtPtr parse_if(size_t off);
  StmtPtr parse_for(size_t off);
  StmtPtr parse_set(size_t off);
  void parse_signature(std::vector<std::pair<std::string, ExprPtr>>& params);
  StmtPtr parse_macro(size_t off);
  StmtPtr parse_call_block(size_t off);
  StmtPtr parse_filter_block(size_t off);
  StmtPtr parse_with(size_t off);
  // Name, `ns.attr` (set only), or a tuple of names.
  ExprPtr parse_assign_target(bool with_namespace, std::initializer_list<const char*> extra_end);
  // Chained operators, attribute accesses and filters (`a+b+c`, `x.a.b`, `x|f|g`) are parsed by
  // loops, not recursion, yet make trees as deep as the chain is long; the interpreter recurses
  // over them. So every expression tree's depth is measured (without recursion) and capped here.
  void check_expression_depth(const std::vector<StmtPtr>& body) const;
  void check_expression_depth(const Expr* root) const;
};

void StatementParser::check_expression_depth(const std::vector<StmtPtr>& body) const {
  for (const auto& s : body) {  // statement nesting is bounded by Nest already
    for (const Expr* e : {s->expr.get(), s->target.get(), s->cond.get(), s->filter.get()}) check_expression_depth(e);
    for (const auto& p : s->params) check_expression_depth(p.second.get());
    check_expression_depth(s->body);
    check_expression_depth(s->else_body);
  }
}

void StatementParser::check_expression_depth(const Expr* root) const {
  if (!root) return;
  std::vector<std::pair<const Expr*, int>> stack{{root, 1}};
  while (!stack.empty()) {
    auto [e, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxTemplateNesting)
      fail_at(e->offset, "expression nested more than " + std::to_string(kMaxTemplateNesting) +
                             " levels deep (a chain of operators, filters or attributes that long)");
    for (const auto& a : e->args)
      if (a) stack.emplace_back(a.get(), depth + 1);
    for (const auto& kv : e->kwargs)
      if (kv.second) stack.emplace_back(kv.second.get(), depth + 1);
  }
}

// ---- statements -------------------------------------------------------------------------
// Parses until a block tag whose name is in `ends` (not consumed: cur() is that name).
std::vector<StmtPtr> StatementParser::subparse(std::initializer_list<const char*> ends) {
  std::vector<StmtPtr> body;
  while (true) {
    const Token& t = cur();
    if (t.type == Tok::End) {
      if (ends.size() == 0) return body;
      std::string want;
      for (const char* e : ends) want += (want.empty() ? "'" : " or '") + std::string(e) + "'";
      fail_at(t.offset, "unexpected end of template, expected " + want);
    }
    if (t.type == Tok::Data) {
      auto s = make_stmt(StmtKind::Data, t.offset);
      s->text = t.value;
      body.push_back(std::move(s));
      advance();
    } else if (t.type == Tok::VarBegin) {
      advance();
      auto s = make_stmt(StmtKind::Output, t.offset);
      s->expr = parse_tuple(true, {});
      if (cur().type != Tok::VarEnd) fail("expected end of print statement");
      advance();
      body.push_back(std::move(s));
    } else if (t.type == Tok::BlockBegin) {
      const Token& n = peek();
      if (n.type == Tok::Name)
        for (const char* e : ends)
          if (n.value == e) {
            advance();
            return body;
          }
      advance();
      body.push_back(parse_statement(ends));
    } else {
      fail("unexpected token");
    }
  }
}

StmtPtr StatementParser::parse_statement(std::initializer_list<const char*> open_ends) {
  Nest nest(*this);  // blocks inside blocks
  const Token& t = cur();
  if (t.type != Tok::Name) fail("expected a tag name");
  const std::string tag = t.value;
  size_t off = t.offset;
  advance();
  if (tag == "if") return parse_if(off);
  if (tag == "for") return parse_for(off);
  if (tag == "set") return parse_set(off);
  if (tag == "macro") return parse_macro(off);
  if (tag == "call") return parse_call_block(off);
  if (tag == "filter") return parse_filter_block(off);
  if (tag == "with") return parse_with(off);
  if (tag == "generation") {
    expect_block_end();
    auto s = make_stmt(StmtKind::Generation, off);
    s->body = subparse({"endgeneration"});
    advance();
    expect_block_end();
    return s;
  }
  if (tag == "break" || tag == "continue") {
    expect_block_end();
    return make_stmt(tag == "break" ? StmtKind::Break : StmtKind::Continue, off);
  }
  if (tag == "extends" || tag == "include" || tag == "import" || tag == "from" || tag == "block" ||
      tag == "autoescape")
    fail_at(off, "tag '" + tag + "' is not supported in chat templates");
  std::string msg = "encountered unknown tag '" + tag + "'";
  if (open_ends.size()) {
    std::string want;
    for (const char* e : open_ends) want += (want.empty() ? "'" : " or '") + std::string(e) + "'";
    msg += "; the innermost block that needs to be closed expects " + want;
  }
  fail_at(off, msg);
}

StmtPtr StatementParser::parse_if(size_t off) {
  Nest nest(*this);  // each elif is an If inside the previous one's else
  auto s = make_stmt(StmtKind::If, off);
  s->expr = parse_tuple(false, {});
  expect_block_end();
  s->body = subparse({"elif", "else", "endif"});
  const std::string which = advance().value;
  if (which == "elif") {
    s->else_body.push_back(parse_if(cur().offset));
    return s;  // the nested If consumed the endif
  }
  if (which == "else") {
    expect_block_end();
    s->else_body = subparse({"endif"});
    advance();
  }
  expect_block_end();
  return s;
}

StmtPtr StatementParser::parse_for(size_t off) {
  auto s = make_stmt(StmtKind::For, off);
  s->target = parse_assign_target(false, {"in"});
  if (!skip_name("in")) fail("expected 'in'");
  s->expr = parse_tuple(false, {"recursive"});
  if (skip_name("if")) s->cond = parse_expression(true);
  if (skip_name("recursive")) s->recursive = true;
  expect_block_end();
  s->body = subparse({"endfor", "else"});
  if (advance().value == "else") {
    expect_block_end();
    s->else_body = subparse({"endfor"});
    advance();
  }
  expect_block_end();
  return s;
}

StmtPtr StatementParser::parse_set(size_t off) {
  ExprPtr target = parse_assign_target(true, {});
  if (skip_op("=")) {
    auto s = make_stmt(StmtKind::Set, off);
    s->target = std::move(target);
    s->expr = parse_tuple(true, {});
    expect_block_end();
    return s;
  }
  auto s = make_stmt(StmtKind::SetBlock, off);
  if (target->kind != ExprKind::Name) fail_at(target->offset, "a block set needs a plain name");
  s->target = std::move(target);
  if (is_op("|")) s->filter = parse_filter_chain(nullptr);
  expect_block_end();
  s->body = subparse({"endset"});
  advance();
  expect_block_end();
  return s;
}

void StatementParser::parse_signature(std::vector<std::pair<std::string, ExprPtr>>& params) {
  expect_op("(");
  while (!is_op(")")) {
    if (!params.empty()) expect_op(",");
    std::string name = expect_name();
    ExprPtr def;
    if (skip_op("=")) def = parse_expression(true);
    params.emplace_back(std::move(name), std::move(def));
  }
  advance();
}

StmtPtr StatementParser::parse_macro(size_t off) {
  auto s = make_stmt(StmtKind::Macro, off);
  s->text = expect_name();
  parse_signature(s->params);
  expect_block_end();
  s->body = subparse({"endmacro"});
  advance();
  if (cur().type == Tok::Name) advance();  // {% endmacro name %}
  expect_block_end();
  return s;
}

StmtPtr StatementParser::parse_call_block(size_t off) {
  auto s = make_stmt(StmtKind::CallBlock, off);
  if (is_op("(")) parse_signature(s->params);
  s->expr = parse_expression(true);
  if (s->expr->kind != ExprKind::Call) fail_at(s->expr->offset, "expected a call in {% call %}");
  expect_block_end();
  s->body = subparse({"endcall"});
  advance();
  expect_block_end();
  return s;
}

StmtPtr StatementParser::parse_filter_block(size_t off) {
  auto s = make_stmt(StmtKind::FilterBlock, off);
  s->filter = parse_filter_chain(nullptr, /*leading_pipe=*/false);
  expect_block_end();
  s->body = subparse({"endfilter"});
  advance();
  expect_block_end();
  return s;
}

StmtPtr StatementParser::parse_with(size_t off) {
  auto s = make_stmt(StmtKind::With, off);
  while (cur().type != Tok::BlockEnd) {
    if (!s->params.empty()) expect_op(",");
    std::string name = expect_name();
    expect_op("=");
    s->params.emplace_back(std::move(name), parse_expression(true));
  }
  expect_block_end();
  s->body = subparse({"endwith"});
  advance();
  expect_block_end();
  return s;
}

// Name, `ns.attr` (set only), or a tuple of names.
ExprPtr StatementParser::parse_assign_target(bool with_namespace, std::initializer_list<const char*> extra_end) {
  size_t off = cur().offset;
  if (with_namespace && cur().type == Tok::Name && peek().type == Tok::Op && peek().value == ".") {
    auto e = make(ExprKind::Getattr, off);
    auto obj = make(ExprKind::Name, off);
    obj->name = advance().value;
    advance();
    e->name = expect_name();
    e->args.push_back(std::move(obj));
    return e;
  }
  std::vector<ExprPtr> names;
  bool tuple = false;
  while (true) {
    if (!names.empty()) {
      if (!skip_op(",")) break;
      tuple = true;
    }
    if (cur().type == Tok::BlockEnd || is_op("=")) break;
    bool stop = false;
    for (const char* e : extra_end)
      if (is_name(e)) stop = true;
    if (stop) break;
    if (skip_op("(")) {
      auto inner = parse_assign_target(false, {});
      expect_op(")");
      names.push_back(std::move(inner));
      continue;
    }
    auto n = make(ExprKind::Name, cur().offset);
    n->name = expect_name();
    if (n->name == "true" || n->name == "false" || n->name == "none" || n->name == "True" ||
        n->name == "False" || n->name == "None")
      fail_at(n->offset, "can't assign to constant '" + n->name + "'");
    names.push_back(std::move(n));
  }
  if (names.empty()) fail("expected an assignment target");
  if (!tuple) return std::move(names[0]);
  auto t = make(ExprKind::Tuple, off);
  t->args = std::move(names);
  return t;
}

}  // namespace

Expr::~Expr() {
  std::vector<ExprPtr> pending;
  auto take_children = [&](Expr& e) {
    for (auto& a : e.args)
      if (a) pending.push_back(std::move(a));
    for (auto& kv : e.kwargs)
      if (kv.second) pending.push_back(std::move(kv.second));
  };
  take_children(*this);
  while (!pending.empty()) {
    ExprPtr e = std::move(pending.back());
    pending.pop_back();
    take_children(*e);
  }  // each node is freed here with no children left
}

ParsedTemplate parse_template(std::string_view source) { return StatementParser(lex_template(source)).run(); }

}  // namespace skytrain::pipeline::jinja
