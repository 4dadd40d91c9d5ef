#include "skytrain/common/glob.hpp"

namespace skytrain {

bool glob_match(std::string_view p, std::string_view s) {
  // Recursive matcher: paths and patterns are short, so backtracking costs nothing here.
  if (p.empty()) return s.empty();
  if (p.substr(0, 2) == "**") {
    std::string_view rest = p.substr(2);
    if (!rest.empty() && rest[0] == '/') {
      // "**/" = zero or more whole directories.
      rest.remove_prefix(1);
      if (glob_match(rest, s)) return true;
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i] == '/' && glob_match(rest, s.substr(i + 1))) return true;
      return false;
    }
    for (size_t i = 0; i <= s.size(); ++i)
      if (glob_match(rest, s.substr(i))) return true;
    return false;
  }
  if (p[0] == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (glob_match(p.substr(1), s.substr(i))) return true;
      if (i < s.size() && s[i] == '/') break;
    }
    return false;
  }
  if (s.empty()) return false;
  if (p[0] == '?') return s[0] != '/' && glob_match(p.substr(1), s.substr(1));
  return p[0] == s[0] && glob_match(p.substr(1), s.substr(1));
}

}  // namespace skytrain
