// A cursor over the lexer's tokens with the small vocabulary both halves of the parser share:
// look at / consume / expect a token, build nodes, and fail with the token's line and column.
#pragma once
#include <initializer_list>
#include <memory>
#include <string>

#include "ast.hpp"
#include "lexer.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

class TokenCursor {
 public:
  explicit TokenCursor(LexedTemplate lexed) : lx_(std::move(lexed)) {}

 protected:
  LexedTemplate lx_;
  size_t pos_ = 0;
  int nesting_ = 0;

  // Counts one level of the parser's recursion (a parenthesis, a unary operator, a nested block,
  // an elif) for its lifetime, failing past kMaxTemplateNesting: a template of 100,000 '(' must
  // be a syntax error, not a stack overflow.
  class Nest {
   public:
    explicit Nest(TokenCursor& c) : c_(c) {
      if (++c_.nesting_ > kMaxTemplateNesting)
        c_.fail_at(c_.cur().offset, "expressions or blocks nested more than " + std::to_string(kMaxTemplateNesting) +
                                        " levels deep");
    }
    ~Nest() { --c_.nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    TokenCursor& c_;
  };

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
};

}  // namespace skytrain::pipeline::jinja
