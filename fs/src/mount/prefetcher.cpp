// Per-handle sequential read-ahead; the mechanism and its trade-offs are described in prefetcher.hpp.
#include "skytrain/fs/mount/prefetcher.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "skytrain/common/log.hpp"
#include "skytrain/fs/huge_pages.hpp"

namespace skytrain::fs {

PartBufferPool& PartBufferPool::shared() {
  static PartBufferPool pool(96ull << 20);
  return pool;
}

std::string PartBufferPool::take(uint64_t capacity) {
  {
    std::lock_guard lk(mu_);
    for (size_t i = 0; i < idle_.size(); ++i) {
      if (idle_[i].capacity() >= capacity) {
        std::string b = std::move(idle_[i]);
        idle_[i] = std::move(idle_.back());
        idle_.pop_back();
        idle_bytes_ -= b.capacity();
        return b;
      }
    }
  }
  std::string b;
  b.reserve(capacity);
  if (capacity >= (4u << 20)) advise_huge_pages(b.data(), b.capacity());
  return b;
}

void PartBufferPool::give(std::string&& buf) {
  if (buf.capacity() < (256u << 10)) return;  // small buffers are cheap to make
  buf.clear();
  std::lock_guard lk(mu_);
  if (idle_bytes_ + buf.capacity() > retain_) return;
  idle_bytes_ += buf.capacity();
  idle_.push_back(std::move(buf));
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
  data_ = PartBufferPool::shared().take(length_);
  store_.get(key_, offset_, length_, data_, etag_.empty() ? std::nullopt : std::optional<std::string>(etag_));
  if (data_.size() != length_) {
    throw StoreError("short read of " + key_ + " at offset " + std::to_string(offset_) + ": got " +
                         std::to_string(data_.size()) + " of " + std::to_string(length_) + " bytes (object changed?)",
                     EIO);
  }
  if (tracing()) {
    const double t1 = trace_ms();
    log::debug("prefetch: GET done {:.1f} ms, offset {} length {}, took {:.1f} ms", t1, offset_, length_, t1 - t0);
  }
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
    p->run_or_wait();
    try {
      p->rethrow_if_failed();
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
    result.slices.push_back({p, p->data().data() + (from - p->offset()), static_cast<size_t>(to - from)});
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
