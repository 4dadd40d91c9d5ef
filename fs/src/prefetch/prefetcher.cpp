// Per-handle sequential read-ahead; the mechanism and its trade-offs are described in prefetcher.hpp.
#include "prefetch/prefetcher.hpp"

#include <algorithm>
#include <cstdint>

#include "prefetch/trace.hpp"
#include "skytrain/common/log.hpp"

namespace skytrain::fs {

Prefetcher::Prefetcher(ObjectStore& store, FetchPool& pool, MemoryBudget& budget, const ReadaheadConfig& cfg,
                       std::string key, std::string etag, uint64_t size, std::shared_ptr<ReadPart> whole)
    : store_(store), pool_(pool), budget_(budget), cfg_(cfg), key_(std::move(key)), etag_(std::move(etag)),
      size_(size) {
  if (whole && whole->offset() == 0 && whole->length() == size_ && size_ > 0) {
    parts_.push_back(std::move(whole));
    fetched_end_ = size_;
    have_stream_ = true;
    from_start_ = true;
    window_ = std::max(cfg_.initial_window, size_);
  }
}

Prefetcher::~Prefetcher() = default;  // queued parts are skipped by the pool (weak references)

void Prefetcher::reset_locked(uint64_t offset) {
  from_start_ = offset == 0 && !have_stream_;
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
  // A reader that skipped further than keep_behind does not move furthest_ (it may be a probe);
  // what lies four windows behind its latest read is dropped anyway, so memory stays bounded (a
  // probe lands at most three windows ahead of the reader: two fetched, one within reach).
  const uint64_t slack = 4 * std::max(window_, cfg_.keep_behind);
  while (!parts_.empty() && parts_.front()->end() + slack <= last_end_) parts_.pop_front();
}

// The side parts that together hold [offset, end), in order; false (need untouched) if they don't.
bool Prefetcher::side_parts_holding_locked(uint64_t offset, uint64_t end, std::vector<PartPtr>& need) const {
  std::vector<PartPtr> found;
  for (uint64_t pos = offset; pos < end;) {
    const PartPtr* next = nullptr;
    for (const auto& p : side_)
      if (p->offset() <= pos && p->end() > pos && (!next || p->end() > (*next)->end())) next = &p;
    if (!next) return false;
    found.push_back(*next);
    pos = (*next)->end();
  }
  need.insert(need.end(), found.begin(), found.end());
  return true;
}

Prefetcher::PartPtr Prefetcher::issue_side_locked(uint64_t offset, uint64_t length, FetchPool::Priority priority) {
  budget_.force_acquire(length);
  auto part = std::make_shared<ReadPart>(store_, key_, etag_, offset, length, MemoryLease(budget_, length));
  side_.push_back(part);
  if (side_.size() > kMaxSideParts) side_.pop_front();
  ++stats_.parts_issued;
  stats_.bytes_requested += length;
  pool_.submit(part, priority);
  return part;
}

// A reader walking down the file (see the header). Returns false when the stream already holds
// the read (then it is served the ordinary way).
bool Prefetcher::backward_walk_locked(uint64_t offset, uint64_t end, std::vector<PartPtr>& need) {
  if (!parts_.empty() && offset >= parts_.front()->offset() && end <= fetched_end_) return false;
  if (!side_parts_holding_locked(offset, end, need)) {
    back_window_ = back_window_ ? std::min(back_window_ * 2, cfg_.part_size) : cfg_.initial_window;
    const uint64_t lo = std::min(offset, end > back_window_ ? end - back_window_ : 0);
    need.push_back(issue_side_locked(lo, end - lo, FetchPool::Priority::urgent));
    ++stats_.backward_parts;
    from_start_ = false;
    back_low_ = lo;
    back_low_end_ = end;
  }
  // Once the reader is in the lowest part, the next one below goes out.
  if (back_low_ != UINT64_MAX && back_low_ > 0 && offset < back_low_end_) {
    back_window_ = std::min(back_window_ * 2, cfg_.part_size);
    const uint64_t lo = back_low_ > back_window_ ? back_low_ - back_window_ : 0;
    issue_side_locked(lo, back_low_ - lo, FetchPool::Priority::background);
    ++stats_.backward_parts;
    back_low_end_ = back_low_;
    back_low_ = lo;
  }
  return true;
}

// A read far ahead of a running stream (see the header) gets a side part of exactly its range;
// the stream is left as it is. A read inside a side part is served from it. A read that
// continues a side part past its end means the reader moved there: promote (a new stream).
Prefetcher::SideRead Prefetcher::side_read_locked(uint64_t offset, uint64_t end, std::vector<PartPtr>& need) {
  if (side_parts_holding_locked(offset, end, need)) return SideRead::served;
  for (const auto& p : side_)
    if (offset >= p->offset() && offset <= p->end()) return SideRead::promote;
  if (!have_stream_ || window_ == 0 || parts_.empty() || offset <= fetched_end_ + window_) return SideRead::none;
  ++stats_.side_reads;
  from_start_ = false;
  need.push_back(issue_side_locked(offset, end - offset, FetchPool::Priority::urgent));
  return SideRead::served;
}

// How far outside the fetched range a read may land and still continue the stream: a
// random-access handle only continues with an adjacent read; a streaming one tolerates the
// kernel's reordering (and small skips) up to its window ahead and keep_behind behind.
bool Prefetcher::continues_stream_locked(uint64_t offset) const {
  const uint64_t ahead = window_;
  const uint64_t behind = window_ ? std::min(window_, cfg_.keep_behind) : 0;
  const uint64_t front = parts_.empty() ? 0 : parts_.front()->offset();
  return have_stream_ && !parts_.empty() && offset + behind >= front && offset <= fetched_end_ + ahead;
}

// A late request for a block before the kept parts (the kernel raced its own requests): fetch
// just the gap in front of the stream.
void Prefetcher::fetch_gap_before_stream_locked(uint64_t offset) {
  const uint64_t front = parts_.front()->offset();
  if (offset >= front) return;
  budget_.force_acquire(front - offset);
  auto part = std::make_shared<ReadPart>(store_, key_, etag_, offset, front - offset, MemoryLease(budget_, front - offset));
  parts_.push_front(part);
  ++stats_.parts_issued;
  stats_.bytes_requested += front - offset;
  pool_.submit(part, FetchPool::Priority::urgent);
}

// Stream detection and window growth: a read outside the stream starts a new one, a second
// adjacent read turns read-ahead on, and each read that reaches further doubles the window.
void Prefetcher::move_stream_locked(uint64_t offset, uint64_t end, bool in_stream, bool continues_side) {
  if (!in_stream) {
    reset_locked(offset);
    // A file read from its start is almost always read on (a small one is fetched whole);
    // a read that continues a side read is its stream's second read; anything else starts small.
    if (offset == 0)
      window_ = size_ <= cfg_.whole_file_max ? std::max(cfg_.initial_window, size_) : cfg_.initial_window;
    else
      window_ = continues_side ? cfg_.initial_window : 0;
  } else if (window_ == 0) {
    window_ = cfg_.initial_window;  // the second read continued the first: go sequential
  } else if (end > furthest_) {
    window_ = std::min(window_ * 2, std::max(cfg_.max_window, cfg_.initial_window));
  }
  // A read ahead of the fetched range but within reach (a loader's probe, or a small skip) is
  // fetched on to: the parts in between stay, the reader is most likely coming back for them.
}

// What this read needs now is always granted, even past the budget (see the header).
void Prefetcher::issue_required_locked(uint64_t end, uint64_t part_len) {
  while (fetched_end_ < end) {
    uint64_t n = window_ ? std::min(part_len, size_ - fetched_end_) : end - fetched_end_;
    budget_.force_acquire(n);
    issue_locked(n, true);
  }
}

// Read-ahead: whole parts only (except the object's tail), and only what the budget allows.
// The window counts bytes still on the wire, not bytes ahead of the reader: parts that
// finished ahead of it no longer keep a connection busy, so without this the link idles
// while the reader catches up (parallel parts finish together, then nothing is in flight
// until the reader has walked through them). Finished bytes ahead are capped at another
// window, so a reader that stalls still holds at most two windows.
void Prefetcher::issue_read_ahead_locked(uint64_t end, uint64_t part_len) {
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

// The stream's position moves with reads near it, not with a probe far past it. A walk down a
// tensor does not move it until the walk comes down to it: only then has the reader consumed
// everything up to the walk's top. Moving it with the walk's first steps (they are next to the
// probe) would drop the parts below the walker that it is about to read, and the walk would
// fetch them again.
void Prefetcher::advance_position_locked(uint64_t offset, uint64_t end, bool back_step) {
  if (back_step) {
    if (offset <= furthest_) furthest_ = std::max(furthest_, walk_top_);
  } else if (offset <= std::max(furthest_, last_end_) + cfg_.keep_behind) {
    furthest_ = std::max(furthest_, end);
  }
}

std::vector<Prefetcher::PartPtr> Prefetcher::parts_covering_locked(uint64_t offset, uint64_t end) const {
  std::vector<PartPtr> need;
  for (const auto& p : parts_)
    if (p->end() > offset && p->offset() < end) need.push_back(p);
  return need;
}

// Claims a part no worker has started (it runs here), else uses its bytes as they arrive.
void Prefetcher::wait_for_parts(const std::vector<PartPtr>& need, uint64_t end) {
  for (const auto& p : need) {
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
}

ReadResult Prefetcher::slices_of(const std::vector<PartPtr>& need, uint64_t offset, uint64_t end) {
  ReadResult result;
  for (const auto& p : need) {
    uint64_t from = std::max(offset, p->offset());
    uint64_t to = std::min(end, p->end());
    result.slices.push_back({p, p->bytes() + (from - p->offset()), static_cast<size_t>(to - from)});
  }
  return result;
}

ReadResult Prefetcher::read(uint64_t offset, uint64_t length) {
  if (offset >= size_ || length == 0) return ReadResult{};
  const uint64_t end = std::min(size_, offset + length);
  std::vector<PartPtr> need;
  {
    std::lock_guard lk(mu_);
    const bool back_step = offset < last_offset_ && end >= last_offset_ && end - last_offset_ <= (64u << 10);
    back_steps_ = back_step ? back_steps_ + 1 : 0;
    if (!back_step) {
      back_window_ = 0;
      back_low_ = UINT64_MAX;
    } else {
      // The walk's top: the read before its first step (the probe at the tensor's end) on up.
      walk_top_ = std::max(back_steps_ == 1 ? last_end_ : walk_top_, end);
    }
    last_offset_ = offset;
    const bool in_stream = continues_stream_locked(offset);
    SideRead side = SideRead::none;
    if (back_steps_ >= 2 && backward_walk_locked(offset, end, need))
      side = SideRead::served;
    else if (!in_stream)
      side = side_read_locked(offset, end, need);
    if (side != SideRead::served) {
      if (in_stream) fetch_gap_before_stream_locked(offset);
      move_stream_locked(offset, end, in_stream, side == SideRead::promote);
      const uint64_t part_len = std::max<uint64_t>(std::min(window_, cfg_.part_size), 128 << 10);
      issue_required_locked(end, part_len);
      if (window_) issue_read_ahead_locked(end, part_len);
      need = parts_covering_locked(offset, end);
      advance_position_locked(offset, end, back_step);
      last_end_ = end;
      if (from_start_ && furthest_ >= size_) read_whole_.store(true, std::memory_order_relaxed);
    }
    drop_behind_locked();
    stats_.window = window_;
  }
  const double w0 = tracing() ? trace_ms() : 0;
  wait_for_parts(need, end);
  if (tracing())
    log::debug("prefetch: read {:.1f} ms, {} offset {} length {}, waited {:.2f} ms", w0, key_, offset, length, trace_ms() - w0);
  return slices_of(need, offset, end);
}

Prefetcher::Stats Prefetcher::stats() const {
  std::lock_guard lk(mu_);
  Stats st = stats_;
  for (const auto& p : parts_) {
    st.parts_in_flight += p->finished() ? 0 : 1;
    st.bytes_held += p->length();
  }
  for (const auto& p : side_) st.bytes_held += p->length();
  return st;
}

}  // namespace skytrain::fs
