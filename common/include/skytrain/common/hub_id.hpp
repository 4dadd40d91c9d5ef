// Validation of Hugging Face ids (`owner/name`) used as nested folder names in the bucket.
#pragma once
#include <string_view>

namespace skytrain {

// Throws Error naming `what` (e.g. "--dataset") when the id has `..` or `.` segments, empty
// segments, a leading '/', a backslash or control characters, or is empty.
void validate_hub_id(std::string_view id, std::string_view what);

}  // namespace skytrain
