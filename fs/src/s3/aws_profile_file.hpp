// Reader for the AWS shared config files (~/.aws/credentials and ~/.aws/config).
//
// The format is INI-like: "[name]" sections in credentials, "[profile name]" (or "[default]") in
// config, "key = value" lines, '#'/';' comments, and indented continuation lines that form a
// sub-section after a "key =" with an empty value (e.g. "s3 =\n  endpoint_url = ..."). We keep
// sub-section keys as "s3.endpoint_url". Names are case-sensitive as in the AWS CLI; keys are
// lower-cased.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace skytrain::fs::aws_profile {

using Section = std::map<std::string, std::string>;

struct File {
  std::filesystem::path path;
  std::map<std::string, Section> sections;  // by section name as written ("profile x", "default")
  std::map<std::string, int> section_line;  // first line of each section, for messages
};

// Parses `text` (from `path`, used in error messages). Throws skytrain::Error naming the file and
// line of a malformed line.
File parse(const std::string& text, const std::filesystem::path& path);

// Reads and parses the file; returns nullopt if it does not exist.
std::optional<File> load(const std::filesystem::path& path);

// The profile's section: in a credentials file "[name]"; in a config file "[profile name]", or
// "[default]" for the default profile (the CLI also accepts "[profile default]").
const Section* find_profile(const File& f, const std::string& profile, bool config_file);

}  // namespace skytrain::fs::aws_profile
