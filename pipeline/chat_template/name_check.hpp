// Load-time check that every filter and test a template names exists. jinja2 fails at compile
// time for unknown names outside conditional code and defers the error to run time inside
// if-blocks and inline ifs; we do the same, so a template loads here iff it loads in Python.
#pragma once
#include "ast.hpp"

namespace skytrain::pipeline::jinja {

// Throws TemplateError with the line and column of the first unknown filter or test.
void check_filter_and_test_names(const ParsedTemplate& tpl);

}  // namespace skytrain::pipeline::jinja
