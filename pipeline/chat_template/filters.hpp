// Names of the filters and tests the engine implements, so a template that uses an unknown one
// fails when it is loaded (as jinja2 fails at compile time) rather than on some conversation.
#pragma once
#include <string_view>

namespace skytrain::pipeline::jinja {

bool filter_exists(std::string_view name);
bool test_exists(std::string_view name);

}  // namespace skytrain::pipeline::jinja
