#include "skytrain/common/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "skytrain/common/error.hpp"

namespace skytrain {

namespace {
std::chrono::nanoseconds plain_interval_from_env() {
  const char* v = std::getenv("SKYTRAIN_PROGRESS_INTERVAL");
  double s = 10.0;
  if (v && *v) {
    char* end = nullptr;
    double d = std::strtod(v, &end);
    if (end != v && d >= 0) s = d;
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}
}  // namespace

std::string format_bytes(double b) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000.0 && u < 4) {
    b /= 1000.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.2f} {}", b, units[u]);
}

ProgressReporter::ProgressReporter(std::string label, Style style)
    : label_(std::move(label)), style_(style), start_(Clock::now()) {
  if (style_ == Style::automatic) style_ = ::isatty(STDERR_FILENO) ? Style::tty : Style::plain;
  if (style_ == Style::tty) {
    interval_ = std::chrono::milliseconds(200);
  } else {
    interval_ = plain_interval_from_env();
    if (interval_.count() == 0 && style_ == Style::plain) style_ = Style::silent;
  }
  next_print_ns_ = interval_.count();
}

ProgressReporter::~ProgressReporter() {
  // A TTY line left half-drawn would be overwritten by the next log line; end it cleanly.
  std::lock_guard lock(mu_);
  if (style_ == Style::tty && !finished_ && last_width_ > 0) std::fputc('\n', stderr);
}

double ProgressReporter::elapsed_seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void ProgressReporter::set_total_bytes(uint64_t total) { total_bytes_ = total; }

void ProgressReporter::set_phase(std::string_view phase) {
  {
    std::lock_guard lock(mu_);
    phase_ = phase;
  }
  maybe_print();
}

void ProgressReporter::add(uint64_t rows, uint64_t bytes) {
  rows_.fetch_add(rows, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  maybe_print();
}

void ProgressReporter::maybe_print() {
  if (style_ == Style::silent) return;
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  int64_t due = next_print_ns_.load(std::memory_order_relaxed);
  if (now < due) return;
  // One thread wins the right to print this tick.
  if (!next_print_ns_.compare_exchange_strong(due, now + interval_.count())) return;
  std::lock_guard lock(mu_);
  if (!finished_) print_locked(false, {});
}

std::string ProgressReporter::status_line() {
  std::lock_guard lock(mu_);
  return status_line_locked();
}

std::string ProgressReporter::status_line_locked() {
  double secs = elapsed_seconds();
  double r = static_cast<double>(rows());
  double b = static_cast<double>(bytes());
  std::string s = label_;
  if (!phase_.empty()) s += fmt::format(" [{}]", phase_);
  if (r > 0) s += fmt::format(" {} rows ({:.0f} rows/s)", rows(), secs > 0 ? r / secs : 0.0);
  uint64_t total = total_bytes_.load(std::memory_order_relaxed);
  s += fmt::format(" {}", format_bytes(b));
  if (total > 0) s += fmt::format(" of {} ({:.1f}%)", format_bytes(static_cast<double>(total)), 100.0 * b / static_cast<double>(total));
  s += fmt::format(" {}/s", format_bytes(secs > 0 ? b / secs : 0.0));
  s += fmt::format(" {:.1f}s", secs);
  return s;
}

void ProgressReporter::print_locked(bool final_line, std::string_view summary) {
  std::string line = summary.empty() ? status_line_locked() : fmt::format("{}: {}", label_, summary);
  if (style_ == Style::tty) {
    std::string out = "\r" + line;
    if (line.size() < last_width_) out.append(last_width_ - line.size(), ' ');
    last_width_ = line.size();
    if (final_line) out += '\n';
    std::fwrite(out.data(), 1, out.size(), stderr);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  std::fflush(stderr);
}

void ProgressReporter::finish(std::string_view summary) {
  std::lock_guard lock(mu_);
  if (finished_) return;
  if (style_ != Style::silent) print_locked(true, summary);
  finished_ = true;
}

ProgressReporter::Style ProgressReporter::parse_style(std::string_view name) {
  if (name == "auto") return Style::automatic;
  if (name == "tty") return Style::tty;
  if (name == "plain") return Style::plain;
  if (name == "none") return Style::silent;
  fail("--progress: unknown style '{}' (auto, tty, plain or none)", name);
}

}  // namespace skytrain
