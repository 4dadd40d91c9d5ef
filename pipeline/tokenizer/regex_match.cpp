// Backtracking matcher for the pre-tokenizer regex subset (see regex.hpp).
#include <unicode/uchar.h>

#include "skytrain/common/error.hpp"
#include "regex.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

namespace {
// Budgets of one find(), so that a hostile pattern from a tokenizer.json ends in an Error
// naming it instead of a hang or a stack overflow. Steps: node() calls, the backtracking work
// (Oniguruma, the reference's engine, stops at 10 million retries per match by default; the
// shipped patterns take tens per match). Depth: node() calls active at once, which grows with
// the iterations of a quantified group (`(?:a|b)+`) and the atoms of a sequence; real patterns
// stay under a hundred, and each level is a few hundred bytes of stack.
constexpr uint64_t kMaxSteps = 10'000'000;
constexpr uint32_t kMaxDepth = 5'000;

uint32_t fold(uint32_t cp) { return static_cast<uint32_t>(u_foldCase(static_cast<UChar32>(cp), U_FOLD_CASE_DEFAULT)); }
}  // namespace

// Continuation-passing backtracking matcher. A continuation is "the rest of the current
// sequence, then the parent's continuation", or "one more iteration of a quantified group".
class RegexMatcher {
 public:
  RegexMatcher(const Regex& re, std::string_view text) : re_(re), t_(text) {}

  bool match_at(size_t pos, size_t& end) { return node(re_.root_, pos, nullptr, end); }

 private:
  struct Cont {
    const uint32_t* items;
    uint32_t count;
    const Cont* next;
    uint32_t rep_node;  // != kNone: "continue repeat rep_node after rep_count iterations"
    uint32_t rep_count;
    size_t rep_start;
  };
  static constexpr uint32_t kNone = UINT32_MAX;

  const Regex& re_;
  std::string_view t_;
  uint64_t steps_ = 0;
  uint32_t depth_ = 0;

  struct DepthGuard {
    uint32_t& d;
    ~DepthGuard() { --d; }
  };
  [[noreturn]] void too_expensive(size_t pos, const char* what) const {
    fail("pre-tokenizer regex {:?}: {} at text byte offset {}; the pattern backtracks too much for this input",
         re_.pattern(), what, pos);
  }

  bool run(const Cont* k, size_t pos, size_t& end) {
    while (k && k->rep_node == kNone && k->count == 0) k = k->next;
    if (!k) {
      end = pos;
      return true;
    }
    if (k->rep_node != kNone) return repeat_more(k->rep_node, k->rep_count, k->rep_start, pos, k->next, end);
    Cont rest{k->items + 1, k->count - 1, k->next, kNone, 0, 0};
    return node(k->items[0], pos, &rest, end);
  }

  // Does the single-character node n match at pos? Sets len.
  bool single(const Regex::Node& n, size_t pos, int& len) const {
    if (pos >= t_.size()) return false;
    unsigned char b = static_cast<unsigned char>(t_[pos]);
    uint32_t cp;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else {
      cp = unicode::decode_utf8(t_, pos, len);
    }
    if (n.kind == Regex::Kind::Literal) return n.icase ? fold(cp) == n.cp : cp == n.cp;
    return re_.classes_[n.cls].contains(cp);
  }

  static bool is_single(const Regex::Node& n) {
    return n.kind == Regex::Kind::Literal || n.kind == Regex::Kind::Class;
  }

  size_t prev_char(size_t pos) const {
    do {
      --pos;
    } while (pos > 0 && (static_cast<unsigned char>(t_[pos]) & 0xC0) == 0x80);
    return pos;
  }

  bool node(uint32_t id, size_t pos, const Cont* k, size_t& end) {
    if (++steps_ > kMaxSteps) too_expensive(pos, "more than 10,000,000 matching steps");
    DepthGuard guard{++depth_};
    if (depth_ > kMaxDepth) too_expensive(pos, "matching recursion deeper than 5,000 levels");
    const Regex::Node& n = re_.nodes_[id];
    switch (n.kind) {
      case Regex::Kind::Literal:
      case Regex::Kind::Class: {
        int len;
        if (!single(n, pos, len)) return false;
        return run(k, pos + static_cast<size_t>(len), end);
      }
      case Regex::Kind::Seq: {
        Cont c{n.kids.data(), static_cast<uint32_t>(n.kids.size()), k, kNone, 0, 0};
        return run(&c, pos, end);
      }
      case Regex::Kind::Alt:
        for (uint32_t kid : n.kids)
          if (node(kid, pos, k, end)) return true;
        return false;
      case Regex::Kind::Look: {
        size_t e;
        bool m = node(n.kids[0], pos, nullptr, e);
        if (m == n.negative) return false;
        return run(k, pos, end);
      }
      case Regex::Kind::Begin:
        return pos == 0 && run(k, pos, end);
      case Regex::Kind::End:
        return pos == t_.size() && run(k, pos, end);
      case Regex::Kind::Repeat: {
        const Regex::Node& kid = re_.nodes_[n.kids[0]];
        if (is_single(kid)) return repeat_single(n, kid, pos, k, end);
        return repeat_more(id, 0, pos, pos, k, end);
      }
    }
    return false;
  }

  bool repeat_single(const Regex::Node& n, const Regex::Node& kid, size_t pos, const Cont* k, size_t& end) {
    // Scan as far as allowed, then hand each candidate end to the continuation.
    size_t p = pos;
    uint32_t count = 0;
    if (n.greedy) {
      int len;
      while (count < n.max && single(kid, p, len)) {
        p += static_cast<size_t>(len);
        ++count;
      }
      if (count < n.min) return false;
      while (true) {
        if (run(k, p, end)) return true;
        if (count == n.min) return false;
        p = prev_char(p);
        --count;
      }
    }
    int len;
    while (count < n.min) {
      if (!single(kid, p, len)) return false;
      p += static_cast<size_t>(len);
      ++count;
    }
    while (true) {
      if (run(k, p, end)) return true;
      if (count >= n.max || !single(kid, p, len)) return false;
      p += static_cast<size_t>(len);
      ++count;
    }
  }

  // Group repetition: `count` iterations done, the last one started at `start`.
  bool repeat_more(uint32_t id, uint32_t count, size_t start, size_t pos, const Cont* k, size_t& end) {
    const Regex::Node& n = re_.nodes_[id];
    // An iteration that consumed nothing ends the loop (as in Perl/Oniguruma), else it never ends.
    bool progress = count == 0 || pos != start;
    Cont again{nullptr, 0, k, id, count + 1, pos};
    if (n.greedy) {
      if (count < n.max && progress && node(n.kids[0], pos, &again, end)) return true;
      return count >= n.min && run(k, pos, end);
    }
    if (count >= n.min && run(k, pos, end)) return true;
    return count < n.max && progress && node(n.kids[0], pos, &again, end);
  }
};

bool Regex::find(std::string_view text, size_t from, size_t& match_start, size_t& match_end) const {
  RegexMatcher m(*this, text);
  for (size_t pos = from; pos <= text.size();) {
    size_t end;
    if (m.match_at(pos, end)) {
      match_start = pos;
      match_end = end;
      return true;
    }
    if (pos == text.size()) break;
    int len;
    unicode::decode_utf8(text, pos, len);
    pos += static_cast<size_t>(len);
  }
  return false;
}

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  size_t from = 0, s, e;
  while (from <= text.size() && find(text, from, s, e)) {
    out.emplace_back(s, e);
    if (e == s) {
      if (e >= text.size()) break;
      int len;
      unicode::decode_utf8(text, e, len);
      from = e + static_cast<size_t>(len);
    } else {
      from = e;
    }
  }
  return out;
}

}  // namespace skytrain::pipeline
