// Per-handle sequential read-ahead; the mechanism and its trade-offs are described in prefetcher.hpp.
#include "prefetch/prefetcher.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

PartBufferPool& PartBufferPool::shared() {
  static PartBufferPool pool(128ull << 20);
  return pool;
}

PageBuffer PartBufferPool::take(uint64_t capacity) {
  {
    std::lock_guard lk(mu_);
    for (size_t i = 0; i < idle_.size(); ++i) {
      if (idle_[i].capacity() >= capacity) {
        PageBuffer b = std::move(idle_[i]);
        if (i + 1 != idle_.size()) idle_[i] = std::move(idle_.back());
        idle_.pop_back();
        idle_bytes_ -= b.capacity();
        return b;
      }
    }
  }
  PageBuffer b(capacity);
  b.reserve(capacity);
  return b;
}

void PartBufferPool::give(PageBuffer&& buf) {
  if (buf.capacity() < (256u << 10) || buf.capacity() > retain_) return;  // cheap to make / never fits
  std::lock_guard lk(mu_);
  // Make room by dropping smaller idle buffers; a buffer larger than all of them may replace them.
  while (idle_bytes_ + buf.capacity() > retain_ && !idle_.empty()) {
    auto smallest = std::min_element(idle_.begin(), idle_.end(),
                                     [](const PageBuffer& a, const PageBuffer& b) { return a.capacity() < b.capacity(); });
    if (smallest->capacity() >= buf.capacity()) return;
    idle_bytes_ -= smallest->capacity();
    if (smallest + 1 != idle_.end()) *smallest = std::move(idle_.back());
    idle_.pop_back();
  }
  if (idle_bytes_ + buf.capacity() > retain_) return;
  idle_bytes_ += buf.capacity();
  idle_.push_back(std::move(buf));
}

uint64_t PartBufferPool::idle_bytes() const {
  std::lock_guard lk(mu_);
  return idle_bytes_;
}

// Timeline for --log-level debug: when each GET starts and ends, and how long each read waited
// for its parts (steady-clock milliseconds). Enough to see the window ramp, the GETs in flight
// against the reader's position, and whether the reader waits on the network or on us.
namespace {
bool tracing() { return log::level() >= log::Level::debug; }
double trace_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

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

size_t ReadResult::size() const {
  size_t n = 0;
  for (const Slice& s : slices) n += s.size;
  return n;
}

std::string ReadResult::to_string() const {
  std::string out;
  for (const Slice& s : slices) out.append(s.data, s.size);
  return out;
}

Prefetcher::Prefetcher(ObjectStore& store, FetchPool& pool, MemoryBudget& budget, const ReadaheadConfig& cfg,
                       std::string key, std::string etag, uint64_t size)
    : store_(store), pool_(pool), budget_(budget), cfg_(cfg), key_(std::move(key)), etag_(std::move(etag)),
      size_(size) {}

Prefetcher::~Prefetcher() = default;  // queued parts are skipped by the pool (weak references)

void Prefetcher::reset_locked(uint64_t offset) {
  parts_.clear();
  fetched_end_ = offset;
  furthest_ = offset;
  have_stream_ = true;
  ++stats_.stream_resets;
}

void Prefetcher::issue_locked(uint64_t length, bool required) {
  MemoryLease lease(budget_, length);  // the caller acquired `length` bytes
  auto part = std::make_shared<ReadPart>(store_, key_, etag_, fetched_end_, length, std::move(lease));
  parts_.push_back(part);
  fetched_end_ += length;
  ++stats_.parts_issued;
  stats_.bytes_requested += length;
  pool_.submit(part, required ? FetchPool::Priority::urgent : FetchPool::Priority::background);
}

void Prefetcher::drop_behind_locked() {
  while (!parts_.empty() && parts_.front()->end() + cfg_.keep_behind <= furthest_) parts_.pop_front();
}

ReadResult Prefetcher::read(uint64_t offset, uint64_t length) {
  ReadResult result;
  if (offset >= size_ || length == 0) return result;
  const uint64_t end = std::min(size_, offset + length);
  std::vector<std::shared_ptr<ReadPart>> need;
  {
    std::lock_guard lk(mu_);
    // How far outside the fetched range a read may land and still continue the stream: a
    // random-access handle only continues with an adjacent read; a streaming one tolerates the
    // kernel's reordering (and small skips) up to its window ahead and keep_behind behind.
    const uint64_t ahead = window_;
    const uint64_t behind = window_ ? std::min(window_, cfg_.keep_behind) : 0;
    const uint64_t front = parts_.empty() ? 0 : parts_.front()->offset();
    const bool in_stream = have_stream_ && !parts_.empty() && offset + behind >= front &&
                           offset <= fetched_end_ + ahead;
    if (in_stream && offset < front) {
      // A late request for a block before the kept parts (the kernel raced its own requests):
      // fetch just the gap in front of the stream.
      budget_.force_acquire(front - offset);
      auto part = std::make_shared<ReadPart>(store_, key_, etag_, offset, front - offset, MemoryLease(budget_, front - offset));
      parts_.push_front(part);
      ++stats_.parts_issued;
      stats_.bytes_requested += front - offset;
      pool_.submit(part, FetchPool::Priority::urgent);
    }
    if (!in_stream) {
      reset_locked(offset);
      // A file read from its start is almost always read on; anything else starts small.
      window_ = offset == 0 ? cfg_.initial_window : 0;
    } else if (window_ == 0) {
      window_ = cfg_.initial_window;  // the second read continued the first: go sequential
    } else if (end > furthest_) {
      window_ = std::min(window_ * 2, std::max(cfg_.max_window, cfg_.initial_window));
    }
    if (offset > fetched_end_) {  // skipped ahead within reach: keep the window, drop the gap
      parts_.clear();
      fetched_end_ = offset;
    }
    const uint64_t part_len = std::max<uint64_t>(std::min(window_, cfg_.part_size), 128 << 10);
    // What this read needs now is always granted, even past the budget (see the header).
    while (fetched_end_ < end) {
      uint64_t n = window_ ? std::min(part_len, size_ - fetched_end_) : end - fetched_end_;
      budget_.force_acquire(n);
      issue_locked(n, true);
    }
    // Read-ahead: whole parts only (except the object's tail), and only what the budget allows.
    // The window counts bytes still on the wire, not bytes ahead of the reader: parts that
    // finished ahead of it no longer keep a connection busy, so without this the link idles
    // while the reader catches up (parallel parts finish together, then nothing is in flight
    // until the reader has walked through them). Finished bytes ahead are capped at another
    // window, so a reader that stalls still holds at most two windows.
    if (window_) {
      uint64_t finished_ahead = 0;
      for (const auto& p : parts_)
        if (p->offset() >= end && p->finished()) finished_ahead += p->length();
      const uint64_t target = std::min(size_, end + window_ + std::min(finished_ahead, window_));
      while (fetched_end_ < target) {
        uint64_t n = std::min(part_len, size_ - fetched_end_);
        if (fetched_end_ + n > target && target < size_) break;
        if (!budget_.try_acquire(n)) break;
        issue_locked(n, false);
      }
    }
    for (const auto& p : parts_)
      if (p->end() > offset && p->offset() < end) need.push_back(p);
    last_end_ = end;
    furthest_ = std::max(furthest_, end);
    drop_behind_locked();
    stats_.window = window_;
  }

  const double w0 = tracing() ? trace_ms() : 0;
  for (const auto& p : need) {
    // Claim a part no worker has started (it runs here), else use its bytes as they arrive.
    const uint64_t upto = std::min(end, p->end()) - p->offset();
    if (!p->try_run()) p->wait_for(upto);
    if (p->arrived() >= upto) continue;
    try {
      p->wait();  // the GET failed before our bytes: its error is recorded once the job is done
      p->rethrow_if_failed();
      throw StoreError("read of " + key_ + " at offset " + std::to_string(p->offset()) + " ended early", EIO);
    } catch (...) {
      // Forget the failed part and everything fetched after it, so the next read retries.
      std::lock_guard lk(mu_);
      auto it = std::find(parts_.begin(), parts_.end(), p);
      if (it != parts_.end()) {
        fetched_end_ = (*it)->offset();
        parts_.erase(it, parts_.end());
      }
      throw;
    }
  }
  if (tracing()) log::debug("prefetch: read {:.1f} ms, offset {} length {}, waited {:.2f} ms", w0, offset, length, trace_ms() - w0);
  for (const auto& p : need) {
    uint64_t from = std::max(offset, p->offset());
    uint64_t to = std::min(end, p->end());
    result.slices.push_back({p, p->bytes() + (from - p->offset()), static_cast<size_t>(to - from)});
  }
  return result;
}

Prefetcher::Stats Prefetcher::stats() const {
  std::lock_guard lk(mu_);
  Stats st = stats_;
  for (const auto& p : parts_) st.parts_in_flight += p->finished() ? 0 : 1;
  return st;
}

}  // namespace skytrain::fs
