// Chat template limits (TemplateLimits, kMaxTemplateNesting): hostile templates end in a
// TemplateError with a position, never a stack overflow, a hang or a huge allocation; the
// defaults leave real templates alone; set_limits() rejects nonsense.
#include <doctest/doctest.h>

#include <string>

#include "skytrain/pipeline/chat_template.hpp"

using skytrain::Error;
using skytrain::pipeline::ChatTemplate;
using skytrain::pipeline::TemplateError;
using skytrain::pipeline::TemplateLimits;

namespace {

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

const char* kCtx = R"({"messages": [{"role": "user", "content": "hi"}]})";

}  // namespace

TEST_CASE("chat template limits: nesting 100,000 levels deep is a syntax error, not a stack overflow") {
  for (const std::string& src : {
           "{{ " + repeat("(", 100000) + "1" + repeat(")", 100000) + " }}",
           "{{ " + repeat("-", 100000) + "1 }}",
           "{{ " + repeat("not ", 100000) + "1 }}",
           "{{ 1" + repeat(" + 1", 100000) + " }}",      // a left-deep chain, built by a loop
           "{{ x" + repeat(".a", 100000) + " }}",
           "{{ x" + repeat("|trim", 100000) + " }}",
           "{{ [" + repeat("[", 100000) + " }}",
           repeat("{% if 1 %}", 100000) + repeat("{% endif %}", 100000),
           "{% if 0 %}" + repeat("{% elif 0 %}", 100000) + "{% endif %}",
           "{{ 1 if 0 else" + repeat(" 1 if 0 else", 100000) + " 2 }}",
       }) {
    CHECK_THROWS_AS(ChatTemplate t(src), TemplateError);
  }
  // Within the limit, deep nesting still works.
  ChatTemplate ok("{{ " + repeat("(", 100) + "1" + repeat(")", 100) + "" + repeat(" + 1", 200) + " }}");
  CHECK(ok.render(kCtx) == "201");
}

TEST_CASE("chat template limits: macro recursion depth") {
  auto with_n = [](int n) {
    return ChatTemplate("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% else %}x{% endif %}{% endmacro %}{{ f(" +
                        std::to_string(n) + ") }}");
  };
  CHECK(with_n(150).render(kCtx) == "x");
  ChatTemplate deep = with_n(100000);
  CHECK_THROWS_WITH_AS(deep.render(kCtx), doctest::Contains("--template-max-depth"), TemplateError);
  TemplateLimits l;
  l.max_depth = 10;
  ChatTemplate shallow = with_n(20);
  shallow.set_limits(l);
  CHECK_THROWS_WITH_AS(shallow.render(kCtx), doctest::Contains("more than 10 calls deep"), TemplateError);
}

TEST_CASE("chat template limits: loop iterations and macro calls") {
  ChatTemplate t("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  CHECK_THROWS_WITH_AS(t.render(kCtx), doctest::Contains("--template-max-iterations"), TemplateError);
  // Exponential macro fan-out is bounded by the same count.
  ChatTemplate fan("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}");
  CHECK_THROWS_WITH_AS(fan.render(kCtx), doctest::Contains("--template-max-iterations"), TemplateError);
  TemplateLimits l;
  l.max_iterations = 3;
  ChatTemplate small("{% for i in range(4) %}{{ i }}{% endfor %}");
  CHECK(small.render(kCtx) == "0123");
  small.set_limits(l);
  CHECK_THROWS_AS(small.render(kCtx), TemplateError);
}

TEST_CASE("chat template limits: output and built values") {
  TemplateLimits l;
  l.max_output_bytes = 1000;
  for (const char* src : {
           "{{ 'x' * 1001 }}",
           "{{ 'x' * 9223372036854775807 }}",
           "{{ [1] * 9223372036854775807 }}",
           "{% set s = namespace(v='xx') %}{% for i in range(30) %}{% set s.v = s.v + s.v %}{% endfor %}",
           "{% for i in range(2000) %}x{% endfor %}",
           "{{ ['x' * 600, 'y' * 600] | join }}",
           "{{ 'ab'.replace('', 'x' * 600) }}",
           "{{ 'a'.center(5000) }}",
           "{{ '%9999d' % 1 }}",
           "{{ '{:9999}'.format(1) }}",
           "{{ ['x' * 600, 'x' * 600] | tojson }}",
       }) {
    ChatTemplate t(src);
    t.set_limits(l);
    CHECK_THROWS_AS(t.render(kCtx), TemplateError);
  }
  // Widths too large for any integer are errors with Python's message, not overflows.
  ChatTemplate w("{{ '%99999999999999999999d' % 1 }}");
  CHECK_THROWS_WITH_AS(w.render(kCtx), doctest::Contains("Too many decimal digits"), TemplateError);
  // Under the limit everything renders as before.
  ChatTemplate t("{{ 'x' * 10 }}{{ ['a', 'b'] | join(',') }}");
  t.set_limits(l);
  CHECK(t.render(kCtx) == "xxxxxxxxxxa,b");
}

TEST_CASE("chat template limits: defaults and validation") {
  ChatTemplate t("x");
  CHECK(t.limits().max_depth == 200);
  CHECK(t.limits().max_iterations == 10'000'000);
  CHECK(t.limits().max_output_bytes == 64u << 20);
  TemplateLimits l;
  l.max_depth = 0;
  CHECK_THROWS_AS(t.set_limits(l), Error);
  l.max_depth = skytrain::pipeline::kMaxTemplateDepth + 1;
  CHECK_THROWS_AS(t.set_limits(l), Error);
  l = TemplateLimits{};
  l.max_iterations = 0;
  CHECK_THROWS_AS(t.set_limits(l), Error);
}

TEST_CASE("chat template limits: namespaces that hold themselves print like Python and do not leak") {
  // jinja2 prints the inner namespace as Python prints a recursive dict.
  ChatTemplate self("{% set ns = namespace(a=1) %}{% set ns.self = ns %}{{ ns }}");
  CHECK(self.render(kCtx) == "<Namespace {'a': 1, 'self': <Namespace {...}>}>");
  ChatTemplate via_list("{% set ns = namespace(a=1) %}{% set ns.l = [ns] %}{{ ns }}");
  CHECK(via_list.render(kCtx) == "<Namespace {'a': 1, 'l': [<Namespace {...}>]}>");
}

TEST_CASE("chat template limits: values nested by a loop stop at kMaxValueDepth") {
  for (const char* src : {
           "{% set ns = namespace(x=1) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}",
           "{% set ns = namespace(x=1) %}{% for i in range(5000) %}{% set ns.x = {'a': ns.x} %}{% endfor %}",
           "{% set ns = namespace(x=1) %}{% for i in range(5000) %}{% set ns.x = namespace(y=ns.x) %}{% endfor %}",
       }) {
    ChatTemplate t(src);
    CHECK_THROWS_WITH_AS(t.render(kCtx), doctest::Contains("levels deep"), TemplateError);
  }
  ChatTemplate ok("{% set ns = namespace(x=1) %}{% for i in range(100) %}{% set ns.x = [ns.x] %}{% endfor %}ok");
  CHECK(ok.render(kCtx) == "ok");
}
