// Python methods of str, dict and list values that templates call (`content.startswith('<')`,
// `message.get('name')`, `text.split('</think>')[-1].lstrip('\n')`), the loop object's attributes
// and methods, and the sandbox's refusal of mutating methods.
#pragma once
#include <string_view>

#include "evaluator.hpp"

namespace skytrain::pipeline::jinja {

// Is `name` a (safe) method of this value's Python type?
bool is_method(const Value& self, std::string_view name);
// Is it a mutating method that transformers' ImmutableSandboxedEnvironment refuses?
bool is_unsafe_method(const Value& self, std::string_view name);
// The Undefined the sandbox returns for an unsafe attribute: using it raises SecurityError's text.
Value unsafe_method_undefined(const Value& self, std::string_view name);
Value make_bound_method(Value self, std::string name);
Value slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step);

// loop.index, loop.first, ... and loop.cycle(...), loop.changed(...).
Value loop_attribute(const Value& loop, std::string_view name);
Value call_loop_method(const Value& loop, std::string_view name, CallArgs& args);

}  // namespace skytrain::pipeline::jinja
