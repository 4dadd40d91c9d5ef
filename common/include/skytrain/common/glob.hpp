// Path globs as Hugging Face `datasets` and `huggingface_hub` write them (`--data-files`,
// `--include`): `*` and `?` stay within one path segment, `**` spans any number of them.
#pragma once
#include <string_view>

namespace skytrain {

// Glob with `*` (not crossing '/'), `?`, and `**` (any depth; `**/` is zero or more directories).
bool glob_match(std::string_view pattern, std::string_view path);

}  // namespace skytrain
