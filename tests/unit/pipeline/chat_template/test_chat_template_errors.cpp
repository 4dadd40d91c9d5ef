// Chat template errors: syntax errors carry line and column, unknown filters/tests are named,
// raise_exception() surfaces as TemplateRaised with the template's message, runtime errors carry
// the position of the failing expression, and bad context JSON is reported as such.
#include <doctest/doctest.h>

#include <string>

#include "skytrain/pipeline/chat_template.hpp"

using skytrain::pipeline::ChatTemplate;
using skytrain::pipeline::TemplateError;
using skytrain::pipeline::TemplateRaised;

namespace {

struct Caught {
  bool template_error = false;
  int line = 0, column = 0;
  std::string message;
};

Caught parse_error(const std::string& source) {
  Caught c;
  try {
    ChatTemplate t(source);
  } catch (const TemplateError& e) {
    c.template_error = true;
    c.line = e.line;
    c.column = e.column;
    c.message = e.what();
  }
  return c;
}

Caught render_error(const std::string& source, const std::string& context = R"({"messages": []})") {
  Caught c;
  ChatTemplate t(source);
  try {
    t.render(context);
  } catch (const TemplateError& e) {
    c.template_error = true;
    c.line = e.line;
    c.column = e.column;
    c.message = e.what();
  }
  return c;
}

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("chat template syntax errors give line and column") {
  Caught c = parse_error("line one\n{% if %}x{% endif %}");
  CHECK(c.template_error);
  CHECK(c.line == 2);
  CHECK(c.column == 7);  // the `%}` where an expression was expected
  CHECK(contains(c.message, "line 2, column 7"));

  c = parse_error("{{ 1 + }}");
  CHECK(c.template_error);
  CHECK(c.line == 1);
  CHECK(c.column == 8);

  c = parse_error("ok\n  ok\n    {% endfor %}");
  CHECK(c.template_error);
  CHECK(c.line == 3);
  CHECK(c.column == 8);
  CHECK(contains(c.message, "unknown tag 'endfor'"));

  c = parse_error("{% if true %}\nnever closed");
  CHECK(c.template_error);
  CHECK(c.line == 2);
  CHECK(contains(c.message, "endif"));

  c = parse_error("{{ 'unterminated }}");
  CHECK(c.template_error);
  CHECK(c.line == 1);
  CHECK(c.column == 4);

  c = parse_error("{# no end");
  CHECK(c.template_error);
  CHECK(contains(c.message, "comment"));

  c = parse_error("{{ (1 + 2 }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "expected ')'"));

  c = parse_error("héllo {{ 1 $ 2 }}");
  CHECK(c.template_error);
  CHECK(c.column == 12);  // columns count code points, not bytes
  CHECK(contains(c.message, "'$'"));

  c = parse_error("{% include 'x.jinja' %}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "include"));
}

TEST_CASE("unknown filters and tests are named when the template loads") {
  Caught c = parse_error("a\n{{ messages | frobnicate }}");
  CHECK(c.template_error);
  CHECK(c.line == 2);
  CHECK(contains(c.message, "no filter named 'frobnicate'"));

  c = parse_error("{{ 1 is blue }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "no test named 'blue'"));

  // Inside an if-block jinja2 defers the error to the moment the filter runs; so do we.
  ChatTemplate lazy("{% if messages %}{{ messages | frobnicate }}{% endif %}ok");
  CHECK(lazy.render(R"({"messages": []})") == "ok");
  Caught r = render_error("{% if messages %}{{ messages | frobnicate }}{% endif %}", R"({"messages": [1]})");
  CHECK(r.template_error);
  CHECK(contains(r.message, "frobnicate"));
}

TEST_CASE("raise_exception surfaces as TemplateRaised with its message") {
  ChatTemplate t(
      "{% for m in messages %}{% if m.role not in ['user', 'assistant'] %}"
      "{{ raise_exception('Conversation roles must be user/assistant, got ' ~ m.role) }}{% endif %}"
      "{{ m.content }}{% endfor %}");
  CHECK(t.render(R"({"messages": [{"role": "user", "content": "hi"}]})") == "hi");
  bool raised = false;
  try {
    t.render(R"({"messages": [{"role": "robot", "content": "beep"}]})");
  } catch (const TemplateRaised& e) {
    raised = true;
    CHECK(std::string(e.what()) == "Conversation roles must be user/assistant, got robot");
  }
  CHECK(raised);
  // The template stays usable: the error belongs to that conversation only.
  CHECK(t.render(R"({"messages": [{"role": "assistant", "content": "ok"}]})") == "ok");
}

TEST_CASE("raise_exception without a message is still a clear error") {
  // Found by fuzzing: both ended in an error with an empty message.
  Caught missing = render_error("{{ raise_exception() }}");
  CHECK(contains(missing.message, "raise_exception"));
  CHECK(contains(missing.message, "message"));
  bool raised = false;
  try {
    ChatTemplate("{{ raise_exception('') }}").render(R"({"messages": []})");
  } catch (const TemplateRaised& e) {
    raised = true;
    CHECK(std::string(e.what()) == "the chat template called raise_exception() with an empty message");
  }
  CHECK(raised);
}

TEST_CASE("an integer past int64 is an error, not an undefined conversion") {
  // Found by fuzzing (UBSan: float-cast-overflow). Python's int is unbounded; ours says so.
  for (const char* src : {"{{ ' 12777777777777777777777777777777 '|int }}", "{{ 1e300|int }}", "{{ '%d' % 1e19 }}",
                          "{{ '%x' % (0.0 - 1e19) }}"}) {
    CAPTURE(src);
    CHECK(contains(render_error(src).message, "outside the 64-bit integer range"));
  }
  CHECK(ChatTemplate("{{ '9223372036854775807'|int }} {{ -9.2e18|int }} {{ 'nan'|int }} {{ '%d' % 2.5 }}")
            .render(R"({"messages": []})") == "9223372036854775807 -9200000000000000000 0 2");
}

TEST_CASE("str.format takes only the codes Python takes for a number's type") {
  // Found by fuzzing (ASan: a write through snprintf's %n): '{:.2n}' passed 'n' into a printf
  // format, and a code floats do not take ('{:s}' of an int) reached it too. Messages as Python's.
  CHECK(ChatTemplate("{{ '{:.2n}|{:n}|{:n}'.format(3.14159, 2.5, 5) }}").render(R"({"messages": []})") == "3.1|2.5|5");
  CHECK(contains(render_error("{{ '{:d}'.format(2.5) }}").message, "Unknown format code 'd' for object of type 'float'"));
  CHECK(contains(render_error("{{ '{:s}'.format(3) }}").message, "Unknown format code 's' for object of type 'int'"));
  CHECK(contains(render_error("{{ '{:x}'.format(1.5) }}").message, "Unknown format code 'x' for object of type 'float'"));
}

TEST_CASE("deep expressions inside a recursive macro end in an error, not a stack overflow") {
  // Found by fuzzing under ASan: 3000 nested frames of a few KiB each overflowed the stack.
  const std::string minus(130, '-');
  Caught c = render_error("{% macro f(n) %}{{ n * " + minus + "(f(n - 0)|int) }}{% endmacro %}{{ f(5) }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "nested"));
}

TEST_CASE("runtime errors carry the position of the failing expression") {
  Caught c = render_error("line\n  {{ 'a' + 1 }}");
  CHECK(c.template_error);
  CHECK(c.line == 2);
  CHECK(contains(c.message, "can only concatenate str"));

  c = render_error("{{ messages[0].content.strip() }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "list object has no element 0"));

  c = render_error("{% set l = [1] %}{{ l.append(2) }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "unsafe"));

  c = render_error("{{ nothing.here }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "'nothing' is undefined"));

  c = render_error("{% macro forever(n) %}{{ forever(n + 1) }}{% endmacro %}{{ forever(0) }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "recursion"));

  c = render_error("{{ undefined_thing | tojson }}");
  CHECK(c.template_error);
  CHECK(contains(c.message, "not JSON serializable"));
}

TEST_CASE("bad render contexts are rejected clearly") {
  ChatTemplate t("{{ messages | length }}");
  CHECK_THROWS_WITH_AS(t.render("{not json"), doctest::Contains("chat template context: invalid JSON"),
                       skytrain::Error);
  CHECK_THROWS_WITH_AS(t.render("[1, 2]"), doctest::Contains("expected a JSON object"), skytrain::Error);
  CHECK_THROWS_WITH_AS(t.render(R"({"messages": [18446744073709551615]})"), doctest::Contains("messages[0]"),
                       skytrain::Error);
  CHECK_THROWS_AS(ChatTemplate("{{ x }}", "[]"), skytrain::Error);
}
