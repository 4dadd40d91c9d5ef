// Jinja2 grammar over the lexer's tokens (see parser.hpp).
#include "chat_template/parser.hpp"

#include <charconv>
#include <cstdlib>
#include <initializer_list>

#include "chat_template/lexer.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {
namespace {

class Parser {
 public:
  explicit Parser(LexedTemplate lexed) : lx_(std::move(lexed)) {}

  ParsedTemplate run() {
    ParsedTemplate t;
    t.body = subparse({});
    if (cur().type != Tok::End) fail("unexpected token");
    t.source = std::move(lx_.source);
    return t;
  }

 private:
  LexedTemplate lx_;
  size_t pos_ = 0;

  const Token& cur() const { return lx_.tokens[pos_]; }
  const Token& peek(size_t n = 1) const { return lx_.tokens[std::min(pos_ + n, lx_.tokens.size() - 1)]; }
  const Token& advance() { return lx_.tokens[pos_ < lx_.tokens.size() - 1 ? pos_++ : pos_]; }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::Data: return "template data";
      case Tok::VarBegin: return "'{{'";
      case Tok::VarEnd: return "end of print statement";
      case Tok::BlockBegin: return "'{%'";
      case Tok::BlockEnd: return "end of statement block";
      case Tok::Name: return "'" + t.value + "'";
      case Tok::String: return "string";
      case Tok::Integer:
      case Tok::Float: return "number " + t.value;
      case Tok::Op: return "'" + t.value + "'";
      case Tok::End: return "end of template";
    }
    return "token";
  }

  [[noreturn]] void fail_at(size_t offset, const std::string& msg) const {
    int line, col;
    offset_to_line_col(lx_.source, offset, line, col);
    throw TemplateError("chat template syntax error at line " + std::to_string(line) + ", column " +
                            std::to_string(col) + ": " + msg,
                        line, col);
  }
  [[noreturn]] void fail(const std::string& msg) const {
    if (cur().type == Tok::End) fail_at(cur().offset, msg + " (unexpected end of template)");
    fail_at(cur().offset, msg + ", got " + describe(cur()));
  }

  bool is_op(const char* op) const { return cur().type == Tok::Op && cur().value == op; }
  bool is_name(const char* n) const { return cur().type == Tok::Name && cur().value == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    advance();
    return true;
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) fail(std::string("expected '") + op + "'");
  }
  std::string expect_name() {
    if (cur().type != Tok::Name) fail("expected a name");
    return advance().value;
  }
  void expect_block_end() {
    if (cur().type != Tok::BlockEnd) fail("expected end of statement block");
    advance();
  }

  static ExprPtr make(ExprKind k, size_t off) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->offset = off;
    return e;
  }
  static StmtPtr make_stmt(StmtKind k, size_t off) {
    auto s = std::make_unique<Stmt>();
    s->kind = k;
    s->offset = off;
    return s;
  }

  // ---- statements -------------------------------------------------------------------------

  // Parses until a block tag whose name is in `ends` (not consumed: cur() is that name).
  std::vector<StmtPtr> subparse(std::initializer_list<const char*> ends) {
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

  StmtPtr parse_statement(std::initializer_list<const char*> open_ends) {
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

  StmtPtr parse_if(size_t off) {
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

  StmtPtr parse_for(size_t off) {
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

  StmtPtr parse_set(size_t off) {
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

  void parse_signature(std::vector<std::pair<std::string, ExprPtr>>& params) {
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

  StmtPtr parse_macro(size_t off) {
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

  StmtPtr parse_call_block(size_t off) {
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

  StmtPtr parse_filter_block(size_t off) {
    auto s = make_stmt(StmtKind::FilterBlock, off);
    s->filter = parse_filter_chain(nullptr, /*leading_pipe=*/false);
    expect_block_end();
    s->body = subparse({"endfilter"});
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_with(size_t off) {
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
  ExprPtr parse_assign_target(bool with_namespace, std::initializer_list<const char*> extra_end) {
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

  // ---- expressions ------------------------------------------------------------------------

  // Comma-separated expressions; a single one without a trailing comma is not a tuple.
  ExprPtr parse_tuple(bool with_condexpr, std::initializer_list<const char*> extra_end, bool explicit_parens = false) {
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

  bool tuple_ends(std::initializer_list<const char*> extra_end) const {
    const Token& t = cur();
    if (t.type == Tok::VarEnd || t.type == Tok::BlockEnd || t.type == Tok::End) return true;
    if (t.type == Tok::Op && (t.value == ")" || t.value == "]" || t.value == "}" || t.value == "="))
      return true;
    for (const char* e : extra_end)
      if (t.type == Tok::Name && t.value == e) return true;
    return false;
  }

  ExprPtr parse_expression(bool with_condexpr) { return with_condexpr ? parse_condexpr() : parse_or(); }

  ExprPtr parse_condexpr() {
    size_t off = cur().offset;
    ExprPtr e = parse_or();
    while (skip_name("if")) {
      auto c = make(ExprKind::CondExpr, off);
      ExprPtr test = parse_or();
      ExprPtr otherwise;
      if (skip_name("else")) otherwise = parse_condexpr();
      c->args.push_back(std::move(test));
      c->args.push_back(std::move(e));
      c->args.push_back(std::move(otherwise));
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(ExprKind k, size_t off, ExprPtr a, ExprPtr b, Op op = Op::None) {
    auto e = make(k, off);
    e->op = op;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  ExprPtr parse_or() {
    size_t off = cur().offset;
    ExprPtr e = parse_and();
    while (skip_name("or")) e = binary(ExprKind::Or, off, std::move(e), parse_and());
    return e;
  }

  ExprPtr parse_and() {
    size_t off = cur().offset;
    ExprPtr e = parse_not();
    while (skip_name("and")) e = binary(ExprKind::And, off, std::move(e), parse_not());
    return e;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      size_t off = advance().offset;
      auto e = make(ExprKind::Unary, off);
      e->op = Op::Not;
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
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

  ExprPtr parse_math1() {
    size_t off = cur().offset;
    ExprPtr e = parse_concat();
    while (is_op("+") || is_op("-")) {
      Op op = advance().value == "+" ? Op::Add : Op::Sub;
      e = binary(ExprKind::Binary, off, std::move(e), parse_concat(), op);
    }
    return e;
  }

  ExprPtr parse_concat() {
    size_t off = cur().offset;
    ExprPtr e = parse_math2();
    if (!is_op("~")) return e;
    auto c = make(ExprKind::Concat, off);
    c->args.push_back(std::move(e));
    while (skip_op("~")) c->args.push_back(parse_math2());
    return c;
  }

  ExprPtr parse_math2() {
    size_t off = cur().offset;
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const std::string v = advance().value;
      Op op = v == "*" ? Op::Mul : v == "/" ? Op::Div : v == "//" ? Op::FloorDiv : Op::Mod;
      e = binary(ExprKind::Binary, off, std::move(e), parse_pow(), op);
    }
    return e;
  }

  ExprPtr parse_pow() {
    size_t off = cur().offset;
    ExprPtr e = parse_unary(true);
    while (skip_op("**")) e = binary(ExprKind::Binary, off, std::move(e), parse_unary(true), Op::Pow);
    return e;
  }

  ExprPtr parse_unary(bool with_filter) {
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

  ExprPtr parse_primary() {
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

  int64_t parse_int_literal(const std::string& text, size_t off) const {
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

  ExprPtr parse_postfix(ExprPtr node) {
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

  ExprPtr parse_subscribed() {
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

  void parse_call_args(Expr& e) {
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

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make(ExprKind::Call, cur().offset);
    e->args.push_back(std::move(callee));
    parse_call_args(*e);
    return e;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
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
  ExprPtr parse_filter_chain(ExprPtr subject, bool leading_pipe = true) {
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

  ExprPtr parse_test(ExprPtr subject) {
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
};

}  // namespace

ParsedTemplate parse_template(std::string_view source) { return Parser(lex_template(source)).run(); }

}  // namespace skytrain::pipeline::jinja
