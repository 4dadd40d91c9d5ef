// Progress reporting for long-running stages (import, pretokenize, training).
//
// One reporter per stage run. Workers call add() from any thread with the rows and bytes they
// just finished; the reporter decides when to print, so hot loops pay only for two relaxed
// atomic adds and a clock read. Output goes to stderr in one of two styles:
//  - a TTY gets one status line redrawn in place (\r) at most every 200 ms, cleared by finish();
//  - anything else (a log file, CI, journald) gets a plain line every `interval` (default 10 s,
//    env SKYTRAIN_PROGRESS_INTERVAL in seconds, 0 = silent), so logs stay readable and small.
// The line shows rows and rows/s, bytes and MB/s, the current "phase" text (e.g. "shard 00003")
// and, when a total is known, the percentage done.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace skytrain {

class ProgressReporter {
 public:
  enum class Style { automatic, tty, plain, silent };
  // The --progress flag's values: "auto", "tty", "plain", "none" (anything else: fail()).
  static Style parse_style(std::string_view name);

  explicit ProgressReporter(std::string label, Style style = Style::automatic);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  void set_total_bytes(uint64_t total);  // 0 = unknown
  void set_phase(std::string_view phase);
  void add(uint64_t rows, uint64_t bytes);
  // Prints the final summary line (always, unless silent) and stops redrawing.
  void finish(std::string_view summary = {});

  uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  double elapsed_seconds() const;
  // The status text as it would be printed now (for tests and summaries).
  std::string status_line();

 private:
  void maybe_print();
  void print_locked(bool final_line, std::string_view summary);
  std::string status_line_locked();

  using Clock = std::chrono::steady_clock;
  std::string label_;
  Style style_;
  Clock::time_point start_;
  std::chrono::nanoseconds interval_;
  std::atomic<int64_t> next_print_ns_{0};
  std::atomic<uint64_t> rows_{0}, bytes_{0}, total_bytes_{0};
  std::mutex mu_;  // guards phase_, output, finished_
  std::string phase_;
  bool finished_ = false;
  size_t last_width_ = 0;
};

// "1.23 GB", "512 B": decimal units, as transfer rates are usually quoted.
std::string format_bytes(double bytes);

}  // namespace skytrain
