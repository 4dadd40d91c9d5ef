// What every skytrain tool's command line shares: a --version flag, one exit-status convention
// (0 after --help or --version, 2 on bad usage; 1 is left for errors while working), and how
// defaults come from the environment.
#pragma once
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "skytrain/common/stage_manifest.hpp"

namespace skytrain {

// The environment variable `name`, or `fallback` when it is unset or empty (a shell's
// ${NAME:-fallback}): `MODEL_NAME= tool` means the default, not an empty id.
inline std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// Where every stage tool's --root points by default: $SKYTRAIN_ROOT, else ~/tigris.
inline std::string default_root() { return env_or("SKYTRAIN_ROOT", env_or("HOME", ".") + "/tigris"); }

// Adds --version and parses. Returns the exit status when the tool is done already (help,
// version, a usage error, which CLI11 has printed), nullopt when it should go on.
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const char* tool) {
  // A version flag proper: it answers before required options and subcommands are checked.
  app.set_version_flag("--version", fmt::format("{} {}", tool, kSkytrainVersion), "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

// --progress for tools that report progress with ProgressReporter.
inline void add_progress_option(CLI::App& app, std::string& style) {
  app.add_option("--progress", style,
                 "Progress on stderr: auto (redrawn line on a TTY, periodic lines otherwise), tty, plain, none")
      ->check(CLI::IsMember({"auto", "tty", "plain", "none"}))
      ->capture_default_str();
}

}  // namespace skytrain
