// Global functions visible to every template: jinja2's defaults (range, dict, namespace, cycler,
// joiner) and the two transformers adds (raise_exception, strftime_now).
#pragma once
#include <string_view>

#include "value.hpp"

namespace skytrain::pipeline::jinja {

// nullptr when `name` is not a global.
const Value* find_global(std::string_view name);

}  // namespace skytrain::pipeline::jinja
