#include "skytrain/common/log.hpp"
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace skytrain::log {
namespace {

Level level_from_env() {
  const char* v = std::getenv("SKYTRAIN_LOG");
  if (!v) return Level::info;
  if (!std::strcmp(v, "error")) return Level::error;
  if (!std::strcmp(v, "warn")) return Level::warn;
  if (!std::strcmp(v, "debug")) return Level::debug;
  return Level::info;
}

std::atomic<int>& current() {
  static std::atomic<int> l{static_cast<int>(level_from_env())};
  return l;
}

}  // namespace

Level level() { return static_cast<Level>(current().load(std::memory_order_relaxed)); }
void set_level(Level l) { current().store(static_cast<int>(l)); }

void write(Level l, std::string_view msg) {
  static std::mutex mu;
  static const char* names[] = {"error", "warn", "info", "debug"};
  std::string line = fmt::format("[{}] {}\n", names[static_cast<int>(l)], msg);
  std::lock_guard lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace skytrain::log
