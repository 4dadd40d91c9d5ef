#include "skytrain/common/log.hpp"
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace skytrain::log {
namespace {

constexpr const char* kNames[] = {"error", "warn", "info", "debug"};

Level level_from_env() {
  const char* v = std::getenv("SKYTRAIN_LOG");
  return v ? parse_level(v).value_or(Level::info) : Level::info;
}

std::atomic<int>& current() {
  static std::atomic<int> l{static_cast<int>(level_from_env())};
  return l;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (int l = 0; l < 4; ++l)
    if (name == kNames[l]) return static_cast<Level>(l);
  return std::nullopt;
}

Level level() { return static_cast<Level>(current().load(std::memory_order_relaxed)); }
void set_level(Level l) { current().store(static_cast<int>(l)); }

void write(Level l, std::string_view msg) {
  static std::mutex mu;
  std::string line = fmt::format("[{}] {}\n", kNames[static_cast<int>(l)], msg);
  std::lock_guard lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace skytrain::log
