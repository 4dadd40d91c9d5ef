// Logging to stderr, one line per call, safe from many threads.
// Level comes from SKYTRAIN_LOG (error|warn|info|debug), default info.
#pragma once
#include <optional>
#include <string_view>
#include <fmt/format.h>

namespace skytrain::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

// "error", "warn", "info" or "debug" (SKYTRAIN_LOG, --log-level); nullopt for anything else.
std::optional<Level> parse_level(std::string_view name);
Level level();
void set_level(Level l);
void write(Level l, std::string_view msg);

template <typename... A> void error(fmt::format_string<A...> f, A&&... a) {
  write(Level::error, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A> void warn(fmt::format_string<A...> f, A&&... a) {
  if (level() >= Level::warn) write(Level::warn, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A> void info(fmt::format_string<A...> f, A&&... a) {
  if (level() >= Level::info) write(Level::info, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A> void debug(fmt::format_string<A...> f, A&&... a) {
  if (level() >= Level::debug) write(Level::debug, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace skytrain::log
