// Python string formatting as templates reach it: `"%s: %d" % (a, b)` and the `format` filter
// (printf-style), and `"{} {name}".format(...)` (str.format with the common format-spec subset:
// fill, align, sign, width, grouping, precision and the s/d/x/o/b/f/e/g/% types).
#pragma once
#include <string>
#include <string_view>

#include "value.hpp"

namespace skytrain::pipeline::jinja {

// `fmt % args`: args is a tuple (several values), a dict (for %(name)s) or a single value.
std::string percent_format(std::string_view fmt, const Value& args);
// str.format(*pos, **kw).
std::string brace_format(std::string_view fmt, const CallArgs& args);

}  // namespace skytrain::pipeline::jinja
