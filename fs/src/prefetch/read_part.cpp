// One ranged GET whose bytes can be read as they arrive; see read_part.hpp.
#include "prefetch/read_part.hpp"

#include <algorithm>
#include <cstring>

#include "prefetch/trace.hpp"
#include "skytrain/common/log.hpp"

namespace skytrain::fs {

void ReadPart::run() {
  const double t0 = tracing() ? trace_ms() : 0;
  log::debug("prefetch: GET start {:.1f} ms, offset {} length {}", t0, offset_, length_);
  try {
    store_.get_stream(key_, offset_, length_, [this](uint64_t pos, std::string_view piece) { deliver(pos, piece); },
                      etag_.empty() ? std::nullopt : std::optional<std::string>(etag_));
    const uint64_t got = arrived_.load(std::memory_order_relaxed);
    if (got != length_) {
      throw StoreError("short read of " + key_ + " at offset " + std::to_string(offset_) + ": got " +
                           std::to_string(got) + " of " + std::to_string(length_) + " bytes (object changed?)",
                       EIO);
    }
  } catch (...) {
    settle();
    throw;
  }
  settle();
  if (tracing()) {
    const double t1 = trace_ms();
    log::debug("prefetch: GET done {:.1f} ms, offset {} length {}, took {:.1f} ms", t1, offset_, length_, t1 - t0);
  }
}

// Pieces arrive in order; a retried GET starts again at 0 with the same bytes (If-Match), so
// bytes already here are skipped rather than rewritten under a reader.
void ReadPart::deliver(uint64_t pos, std::string_view piece) {
  const uint64_t have = arrived_.load(std::memory_order_relaxed);
  if (pos > have || pos >= length_) return;  // a gap cannot happen; past the end is ignored
  const uint64_t stop = std::min<uint64_t>(length_, pos + piece.size());
  if (stop <= have) return;
  std::memcpy(buf_.data() + have, piece.data() + (have - pos), static_cast<size_t>(stop - have));
  arrived_.store(stop);  // seq_cst, paired with wake_at_ (see wait_for)
  if (stop >= wake_at_.load()) {
    std::lock_guard lk(progress_mu_);
    progress_cv_.notify_all();
  }
}

void ReadPart::settle() {
  settled_.store(true);
  std::lock_guard lk(progress_mu_);
  progress_cv_.notify_all();
}

// A waiter lowers wake_at_ to its target before it checks arrived_, and deliver() stores
// arrived_ before it checks wake_at_: with both seq_cst, either the waiter sees the new bytes or
// deliver() sees the target and notifies under the mutex the waiter holds until it sleeps. No
// wake-up is lost.
void ReadPart::wait_for(uint64_t n) {
  if (arrived_.load() >= n || settled_.load()) return;
  std::unique_lock lk(progress_mu_);
  auto mine = waits_.insert(n);
  wake_at_.store(*waits_.begin());
  progress_cv_.wait(lk, [&] { return arrived_.load() >= n || settled_.load(); });
  waits_.erase(mine);
  wake_at_.store(waits_.empty() ? UINT64_MAX : *waits_.begin());
}

}  // namespace skytrain::fs
