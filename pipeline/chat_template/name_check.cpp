// Walks the parsed template for unknown filter/test names (see name_check.hpp).
#include "name_check.hpp"

#include "filters.hpp"
#include "lexer.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

namespace {

struct Checker {
  const ParsedTemplate& tpl;

  [[noreturn]] void fail(size_t offset, const std::string& msg) const {
    int line, col;
    offset_to_line_col(tpl.source, offset, line, col);
    throw TemplateError("chat template error at line " + std::to_string(line) + ", column " + std::to_string(col) +
                            ": " + msg,
                        line, col);
  }

  void expr(const Expr* e, bool soft) const {
    if (!e) return;
    if (!soft && e->kind == ExprKind::Filter && !filter_exists(e->name)) fail(e->offset, "no filter named '" + e->name + "'");
    if (!soft && e->kind == ExprKind::Test && !test_exists(e->name)) fail(e->offset, "no test named '" + e->name + "'");
    bool inner_soft = soft || e->kind == ExprKind::CondExpr;
    for (auto& a : e->args) expr(a.get(), inner_soft);
    for (auto& kv : e->kwargs) expr(kv.second.get(), inner_soft);
  }

  void block(const std::vector<StmtPtr>& body, bool soft) const {
    for (auto& s : body) stmt(*s, soft);
  }

  // jinja2 defers the check inside if-statements (test and bodies) and inline ifs, but a loop or
  // macro body inside them is a new frame and is checked again.
  void stmt(const Stmt& s, bool soft) const {
    if (s.kind == StmtKind::If) soft = true;
    expr(s.expr.get(), soft);
    expr(s.target.get(), soft);
    expr(s.cond.get(), soft);
    expr(s.filter.get(), soft);
    for (auto& p : s.params) expr(p.second.get(), soft);
    bool new_frame = s.kind == StmtKind::For || s.kind == StmtKind::Macro || s.kind == StmtKind::CallBlock;
    bool inner_soft = soft && !new_frame;
    block(s.body, inner_soft);
    block(s.else_body, inner_soft);
  }
};

}  // namespace

void check_filter_and_test_names(const ParsedTemplate& tpl) { Checker{tpl}.block(tpl.body, false); }

}  // namespace skytrain::pipeline::jinja
