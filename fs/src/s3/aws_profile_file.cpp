// Reader for ~/.aws/credentials and ~/.aws/config; see aws_profile_file.hpp.
#include "s3/aws_profile_file.hpp"

#include <cctype>
#include <sstream>
#include <system_error>
#include <vector>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"

namespace skytrain::fs::aws_profile {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

File parse(const std::string& text, const std::filesystem::path& path) {
  File f;
  f.path = path;
  std::istringstream in(text);
  std::string raw;
  int lineno = 0;
  Section* current = nullptr;
  std::string parent_key;  // key of an open sub-section ("s3 ="), empty when none
  while (std::getline(in, raw)) {
    ++lineno;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = std::isspace(static_cast<unsigned char>(raw[0]));
    if (line.front() == '[') {
      if (line.back() != ']') fail("{}:{}: malformed section header '{}'", path.string(), lineno, line);
      std::string name = trim(line.substr(1, line.size() - 2));
      if (name.empty()) fail("{}:{}: empty section name", path.string(), lineno);
      current = &f.sections[name];
      f.section_line.emplace(name, lineno);
      parent_key.clear();
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos) fail("{}:{}: expected 'key = value', got a line without '='", path.string(), lineno);
    if (!current) fail("{}:{}: setting outside of any [section]", path.string(), lineno);
    std::string key = lower(trim(line.substr(0, eq)));
    std::string value = trim(line.substr(eq + 1));
    if (key.empty()) fail("{}:{}: empty key", path.string(), lineno);
    if (indented && !parent_key.empty()) {
      (*current)[parent_key + "." + key] = value;
      continue;
    }
    parent_key = value.empty() ? key : std::string();
    (*current)[key] = value;
  }
  return f;
}

std::optional<File> load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return parse(read_file(path), path);
}

const Section* find_profile(const File& f, const std::string& profile, bool config_file) {
  std::vector<std::string> names;
  if (config_file) {
    names.push_back("profile " + profile);
    if (profile == "default") names.push_back("default");
  } else {
    names.push_back(profile);
  }
  for (const auto& n : names) {
    auto it = f.sections.find(n);
    if (it != f.sections.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace skytrain::fs::aws_profile
