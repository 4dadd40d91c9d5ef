// The write-back buffer of one file: writes, reads of unflushed data, truncation and the
// streaming of completed parts. The commit protocol (PUT / multipart / copy) is in
// write_back_commit.cpp. See write_back_file.hpp for the model.
#include "upload/write_back_file.hpp"

#include <algorithm>
#include <cstring>

#include "skytrain/common/log.hpp"
#include "upload/upload_engine.hpp"

namespace skytrain::fs {

namespace {

// Capacity for a part buffer that must hold `needed` bytes: grow geometrically (so sequential
// 4 KiB writes do not go to the memory budget each time) but never past the part's size.
uint64_t planned_capacity(uint64_t current, uint64_t needed, uint64_t part_size) {
  if (needed <= current) return current;
  return std::max(needed, std::min(part_size, current * 2));
}

// Copies the base's bytes of [begin, begin + n) out of `got` (fetched from `got_begin`), zeros
// where `got` ends (past base_limit_).
void copy_fetched(const std::string& got, uint64_t got_begin, uint64_t begin, uint64_t n, char* out) {
  uint64_t rel = begin - got_begin;
  uint64_t have = rel < got.size() ? std::min<uint64_t>(n, got.size() - rel) : 0;
  if (have) std::memcpy(out, got.data() + rel, have);
  if (have < n) std::memset(out + have, 0, n - have);
}

}  // namespace

std::shared_ptr<WriteBackFile> WriteBackFile::make(UploadEngine& engine, std::string key,
                                                   std::optional<StoredObject> base, bool created, PutOptions opts) {
  return std::shared_ptr<WriteBackFile>(new WriteBackFile(engine, std::move(key), std::move(base), created, std::move(opts)));
}

WriteBackFile::WriteBackFile(UploadEngine& engine, std::string key, std::optional<StoredObject> base, bool created,
                             PutOptions opts)
    : engine_(engine), key_(std::move(key)), base_(std::move(base)), opts_(std::move(opts)) {
  if (base_) {
    base_limit_ = size_ = base_->size;
    stored_opts_ = opts_;
  }
  data_dirty_ = created || !base_;
}

WriteBackFile::~WriteBackFile() {
  if (upload_id_) {
    try {
      engine_.store().abort_multipart(key_, *upload_id_);
    } catch (const std::exception& e) {
      log::warn("aborting the unfinished upload of {} failed: {}", key_, e.what());
    }
  }
}

bool WriteBackFile::dirty_locked() const {
  if (discarded_) return false;
  if (data_dirty_) return true;
  if (base_ && base_->key != key_) return true;  // moved (move_to), not yet copied
  return base_ && stored_opts_ && stored_opts_->metadata != opts_.metadata;
}

void WriteBackFile::wait_idle_locked(Lock& lk) {
  cv_.wait(lk, [&] { return !committing_ && uploads_in_flight_ == 0 && !creating_upload_; });
}

void WriteBackFile::wait_unsealed_locked(Lock& lk) {
  cv_.wait(lk, [&] { return !committing_ && !queued_; });
}

void WriteBackFile::check_usable_locked() const {
  if (broken_) {
    try {
      std::rethrow_exception(broken_);
    } catch (const std::exception& e) {
      throw StoreError("data of " + key_ + " was lost by a failed upload (" + e.what() +
                           "); truncate the file to start over",
                       EIO);
    }
  }
}

void WriteBackFile::drop_upload_locked() {
  if (!upload_id_) return;
  try {
    engine_.store().abort_multipart(key_, *upload_id_);
  } catch (const std::exception& e) {
    log::warn("aborting the multipart upload of {} failed: {}", key_, e.what());
  }
  upload_id_.reset();
}

// ---- writes -----------------------------------------------------------------------------

uint64_t WriteBackFile::growth_needed_locked(uint64_t offset, std::string_view data) const {
  const PartLayout& L = engine_.options().layout;
  uint64_t end = offset + data.size();
  uint64_t need = 0;
  size_t spares_left = spares_.size();  // as apply_write_locked does: new parts take spares from the back
  for (uint32_t k = L.part_index(offset), last = L.part_index(end - 1); k <= last; ++k) {
    uint64_t s = L.part_start(k);
    uint64_t rel_end = std::min(end, s + L.part_size(k)) - s;
    auto it = parts_.find(k);
    const PageBuffer fresh(L.part_size(k));
    const PageBuffer* spare = nullptr;
    if (it == parts_.end() && spares_left && spare_fits_locked(spares_left - 1, k))
      spare = &spares_[--spares_left].data;
    const PageBuffer& buf = it != parts_.end() ? it->second.data : spare ? *spare : fresh;
    need += buf.capacity_for(planned_capacity(buf.capacity(), rel_end, L.part_size(k))) - buf.capacity();
  }
  return need;
}

void WriteBackFile::apply_write_locked(uint64_t offset, std::string_view data, MemoryLease& reserved) {
  const PartLayout& L = engine_.options().layout;
  uint64_t end = offset + data.size();
  for (uint32_t k = L.part_index(offset), last = L.part_index(end - 1); k <= last; ++k) {
    uint64_t s = L.part_start(k);
    uint64_t a = std::max(offset, s), b = std::min(end, s + L.part_size(k));
    auto [it, inserted] = parts_.try_emplace(k);
    Part& p = it->second;
    if (inserted) {
      if (!spares_.empty() && spare_fits_locked(spares_.size() - 1, k)) {
        p.data = std::move(spares_.back().data);  // stale bytes are harmless: only `covered` ranges are read
        p.lease = std::move(spares_.back().lease);
        spares_.pop_back();
      } else {
        p.data = PageBuffer(L.part_size(k));
        p.lease = MemoryLease(engine_.budget());
      }
      if (!std::exchange(tracked_, true)) engine_.track_buffering(weak_from_this());
    }
    uint64_t rel_a = a - s, rel_b = b - s;
    if (rel_b > p.data.capacity()) {
      uint64_t old_cap = p.data.capacity();
      p.data.reserve(planned_capacity(old_cap, rel_b, L.part_size(k)));
      uint64_t grown = p.data.capacity() - old_cap;
      uint64_t moved = reserved.transfer_to(p.lease, grown);
      if (moved < grown) {  // cannot happen (growth_needed_locked plans the same capacities)
        engine_.budget().force_acquire(grown - moved);
        p.lease.adopt(grown - moved);
      }
    }
    if (rel_b > p.data.size()) p.data.resize(rel_b);
    std::memcpy(p.data.data() + rel_a, data.data() + (a - offset), b - a);
    p.covered.add(rel_a, rel_b);
  }
  size_ = std::max(size_, end);
  data_dirty_ = true;
  if (offset != run_end_) run_start_ = offset;
  run_end_ = end;
}

void WriteBackFile::schedule_full_parts_locked(uint32_t first, uint32_t last, bool under_pressure) {
  if (discarded_ || stream_error_) return;
  const PartLayout& L = engine_.options().layout;
  // Part 0 waits for the commit (a writer often comes back to patch a header), unless memory is
  // short: then holding it could stall every writer while nothing is in flight.
  for (uint32_t k = under_pressure ? first : std::max<uint32_t>(first, 1); k <= last; ++k) {
    auto it = parts_.find(k);
    if (it == parts_.end() || it->second.state != PartState::buffered) continue;
    if (!it->second.covered.covers(0, L.part_size(k))) continue;
    if (!under_pressure && (L.part_start(k) < run_start_ || L.part_end(k) > run_end_)) continue;
    it->second.state = PartState::uploading;
    ++uploads_in_flight_;
    engine_.submit_part([self = shared_from_this(), k] { self->upload_part_job(k); });
  }
}

void WriteBackFile::ensure_upload_id(Lock& lk) {
  cv_.wait(lk, [&] { return !creating_upload_; });
  if (upload_id_) return;
  creating_upload_ = true;
  PutOptions o = opts_;
  std::string key = key_;
  lk.unlock();
  std::string id;
  try {
    id = engine_.store().create_multipart(key, o);
  } catch (...) {
    lk.lock();
    creating_upload_ = false;
    cv_.notify_all();
    throw;
  }
  lk.lock();
  upload_id_ = id;
  upload_opts_ = std::move(o);
  creating_upload_ = false;
  cv_.notify_all();
}

void WriteBackFile::upload_part_job(uint32_t index) {
  Lock lk(mu_);
  auto it = parts_.find(index);  // parts are not erased while an upload is in flight
  std::exception_ptr err;
  std::string etag;
  try {
    ensure_upload_id(lk);
    std::string id = *upload_id_, key = key_;
    std::string_view view = it->second.data.view();
    lk.unlock();
    try {
      etag = engine_.store().upload_part(key, id, int(index) + 1, view);
    } catch (...) {
      err = std::current_exception();
    }
    lk.lock();
  } catch (...) {
    err = std::current_exception();
  }
  Part& p = it->second;
  if (err) {
    // The bytes are still here: the commit will try this part again and report the error.
    // Until then writes fail, so a writer cannot pile up memory behind a dead connection.
    p.state = PartState::buffered;
    stream_error_ = err;
    try {
      std::rethrow_exception(err);
    } catch (const std::exception& e) {
      log::warn("upload of part {} of {} failed: {}", index + 1, key_, e.what());
    }
  } else {
    p.state = PartState::uploaded;
    p.etag = std::move(etag);
    keep_or_free_locked(p);
  }
  --uploads_in_flight_;
  cv_.notify_all();
}

size_t WriteBackFile::write_behind_parts() const { return engine_.options().part_upload_threads + 2; }

bool WriteBackFile::starts_new_part_locked(uint32_t first, uint32_t last) const {
  for (uint32_t k = std::max<uint32_t>(first, 1); k <= last; ++k)
    if (!parts_.contains(k)) return true;
  return false;
}

bool WriteBackFile::spare_fits_locked(size_t i, uint32_t k) const {
  return spares_[i].data.max_size() == engine_.options().layout.part_size(k);
}

void WriteBackFile::keep_or_free_locked(Part& p) {
  // As many spares as the window holds parts: uploads that finish together (the writer had
  // not run between them) each leave a buffer for the writer's next parts. Memory stays what
  // the window had in flight.
  if (spares_.size() < write_behind_parts() && !committing_ && !discarded_ &&
      p.data.capacity() == p.data.max_size()) {
    p.data.resize(0);
    spares_.push_back({std::move(p.data), std::move(p.lease)});
    return;
  }
  p.data.free();  // unmapped: the pages go back to the kernel now
  p.lease.reset();
}

void WriteBackFile::drop_spares_locked() { spares_.clear(); }

void WriteBackFile::write(uint64_t offset, std::string_view data) {
  if (data.empty()) return;
  const PartLayout& L = engine_.options().layout;
  if (offset + data.size() > L.max_file_size() || offset + data.size() < offset)
    throw StoreError("write past the largest storable object (10,000 parts) in " + key_, EFBIG);
  uint64_t end = offset + data.size();
  uint32_t first = L.part_index(offset), last = L.part_index(end - 1);
  MemoryLease reserved(engine_.budget());
  Lock lk(mu_);
  for (;;) {
    wait_unsealed_locked(lk);  // a queued close commit takes the file as it is now
    check_usable_locked();
    if (stream_error_) std::rethrow_exception(stream_error_);
    bool uploading = false, uploaded = false;
    for (auto it = parts_.lower_bound(first); it != parts_.end() && it->first <= last; ++it) {
      uploading |= it->second.state == PartState::uploading;
      uploaded |= it->second.state == PartState::uploaded;
    }
    if (uploading) {
      cv_.wait(lk);
      continue;
    }
    if (uploaded) {  // rewriting streamed bytes: store what we have, then continue on top of it
      commit_locked(lk);
      continue;
    }
    if (static_cast<size_t>(uploads_in_flight_) >= write_behind_parts() && starts_new_part_locked(first, last)) {
      cv_.wait(lk);  // an upload finishing leaves its buffer as a spare
      continue;
    }
    uint64_t need = growth_needed_locked(offset, data);
    if (need > reserved.bytes()) {
      uint64_t more = need - reserved.bytes();
      if (engine_.budget().try_acquire(more)) {
        reserved.adopt(more);
        continue;
      }
      // Short of memory: stream every complete part of this file, then wait (backpressure).
      if (!parts_.empty()) schedule_full_parts_locked(parts_.begin()->first, parts_.rbegin()->first, true);
      lk.unlock();
      engine_.reserve(more, reserved);
      lk.lock();
      continue;  // the file may have changed meanwhile
    }
    break;
  }
  apply_write_locked(offset, data, reserved);
  schedule_full_parts_locked(first, last, false);
}

void WriteBackFile::stream_for_memory() {
  Lock lk(mu_);
  drop_spares_locked();
  if (committing_ || parts_.empty()) return;
  schedule_full_parts_locked(parts_.begin()->first, parts_.rbegin()->first, true);
}

// ---- reads ------------------------------------------------------------------------------

std::string WriteBackFile::fetch_base(uint64_t begin, uint64_t end) const {
  std::string got;
  if (base_ && begin < base_limit_) {
    uint64_t split = std::min(end, base_limit_);
    engine_.store().get(base_->key, begin, split - begin, got, base_->etag);
    if (got.size() != split - begin)
      throw StoreError("object " + base_->key + " is shorter than expected (changed by another client?)", EIO);
  }
  return got;
}


uint64_t WriteBackFile::transient_bytes_locked(uint64_t begin, uint64_t end) const {
  uint64_t get = base_ && begin < base_limit_ ? std::min(end, base_limit_) - begin : 0;
  return (end - begin) + get;
}

void WriteBackFile::fill_range_locked(uint64_t begin, uint64_t end, char* out) const {
  const PartLayout& L = engine_.options().layout;
  uint64_t pos = begin;
  while (pos < end) {
    uint32_t k = L.part_index(pos);
    uint64_t s = L.part_start(k);
    uint64_t stop = std::min(end, s + L.part_size(k));
    char* dst = out + (pos - begin);
    auto it = parts_.find(k);
    if (it == parts_.end()) {
      copy_fetched(fetch_base(pos, stop), pos, pos, stop - pos, dst);
    } else {
      const Part& p = it->second;
      auto gaps = p.covered.gaps(pos - s, stop - s);
      std::string base_bytes;  // one GET spanning every gap of this part
      uint64_t span_begin = 0;
      if (!gaps.empty()) {
        span_begin = s + gaps.front().first;
        base_bytes = fetch_base(span_begin, s + gaps.back().second);
      }
      uint64_t cur = pos - s;
      auto copy_written = [&](uint64_t a, uint64_t b) {
        if (a < b) std::memcpy(out + (s + a - begin), p.data.data() + a, b - a);
      };
      for (auto [ga, gb] : gaps) {
        copy_written(cur, ga);
        copy_fetched(base_bytes, span_begin, s + ga, gb - ga, out + (s + ga - begin));
        cur = gb;
      }
      copy_written(cur, stop - s);
    }
    pos = stop;
  }
}

size_t WriteBackFile::read(uint64_t offset, size_t length, char* out) {
  const PartLayout& L = engine_.options().layout;
  Lock lk(mu_);
  uint64_t end = 0;
  for (;;) {
    cv_.wait(lk, [&] { return !committing_; });
    check_usable_locked();
    if (offset >= size_ || length == 0) return 0;
    end = std::min<uint64_t>(size_, offset + length);
    bool uploaded = false;
    for (auto it = parts_.lower_bound(L.part_index(offset)); it != parts_.end() && it->first <= L.part_index(end - 1); ++it)
      uploaded |= it->second.state == PartState::uploaded;
    if (!uploaded) break;
    commit_locked(lk);  // streamed bytes are only readable from a completed object
  }
  fill_range_locked(offset, end, out);
  return size_t(end - offset);
}

// ---- truncate ---------------------------------------------------------------------------

void WriteBackFile::truncate(uint64_t new_size) {
  const PartLayout& L = engine_.options().layout;
  if (new_size > L.max_file_size())
    throw StoreError("truncate past the largest storable object (10,000 parts) in " + key_, EFBIG);
  Lock lk(mu_);
  for (;;) {
    wait_unsealed_locked(lk);  // open(O_TRUNC) after a close must not empty its queued commit
    wait_idle_locked(lk);
    if (queued_) continue;
    if (new_size == 0) break;  // replaces everything: also recovers a broken file
    check_usable_locked();
    if (new_size < size_) {
      uint32_t k = L.part_index(new_size);
      auto it = parts_.find(k);
      if (it != parts_.end() && it->second.state == PartState::uploaded && new_size > L.part_start(k)) {
        commit_locked(lk);  // cutting a streamed part needs its bytes back
        continue;
      }
    }
    break;
  }
  if (new_size == 0) {
    broken_ = nullptr;
    stream_error_ = nullptr;
  }
  run_start_ = run_end_ = std::min(run_end_, new_size);
  if (new_size < size_) {
    uint32_t k = L.part_index(new_size);
    uint64_t rel = new_size - L.part_start(k);
    // Parts wholly past the new end go (an uploaded one is simply left out of the completion).
    parts_.erase(parts_.upper_bound(k), parts_.end());
    auto it = parts_.find(k);
    if (it != parts_.end()) {
      if (rel == 0) {
        parts_.erase(it);
      } else {
        Part& p = it->second;
        if (p.data.size() > rel) p.data.resize(rel);
        p.covered.clip(rel);
        p.lease.shrink_to(p.data.shrink_to_fit());
      }
    }
    base_limit_ = std::min(base_limit_, new_size);
    // Nothing streamed is still needed when the file fits in part 0 and part 0 itself was not
    // streamed: the commit will be a PUT.
    auto p0 = parts_.find(0);
    bool p0_streamed = p0 != parts_.end() && p0->second.state == PartState::uploaded;
    if (new_size <= L.part_size(0) && !p0_streamed) drop_upload_locked();
  }
  size_ = new_size;
  data_dirty_ = true;
}

// ---- state ------------------------------------------------------------------------------

void WriteBackFile::set_put_options(PutOptions opts) {
  std::lock_guard lk(mu_);
  opts_ = std::move(opts);
}

PutOptions WriteBackFile::put_options() const {
  std::lock_guard lk(mu_);
  return opts_;
}

uint64_t WriteBackFile::size() const {
  std::lock_guard lk(mu_);
  return size_;
}

bool WriteBackFile::dirty() const {
  std::lock_guard lk(mu_);
  return dirty_locked();
}

std::string WriteBackFile::key() const {
  std::lock_guard lk(mu_);
  return key_;
}

std::optional<StoredObject> WriteBackFile::stored() const {
  std::lock_guard lk(mu_);
  return base_;
}

void WriteBackFile::rebase(StoredObject obj) {
  Lock lk(mu_);
  wait_idle_locked(lk);
  if (dirty_locked()) throw StoreError("internal: rebase of " + key_ + " with unsaved changes", EIO);
  key_ = obj.key;
  base_ = std::move(obj);
  base_limit_ = size_ = base_->size;
  if (!stored_opts_) stored_opts_ = opts_;
}

bool WriteBackFile::move_to(std::string key) {
  Lock lk(mu_);
  if (committing_ || queued_ || uploads_in_flight_ || creating_upload_ || !base_ || dirty_locked()) return false;
  key_ = std::move(key);
  return true;
}

void WriteBackFile::discard() {
  Lock lk(mu_);
  wait_idle_locked(lk);
  drop_upload_locked();
  parts_.clear();
  drop_spares_locked();
  discarded_ = true;
  data_dirty_ = false;
  stream_error_ = nullptr;
}

void WriteBackFile::revert() {
  Lock lk(mu_);
  // A killed writer's changes go, not those of an earlier close still queued for upload.
  do {
    wait_unsealed_locked(lk);
    wait_idle_locked(lk);
  } while (queued_);
  drop_upload_locked();
  parts_.clear();
  drop_spares_locked();
  size_ = base_limit_ = base_ ? base_->size : 0;
  data_dirty_ = false;
  if (stored_opts_) opts_ = *stored_opts_;
  broken_ = nullptr;
  stream_error_ = nullptr;
}

std::exception_ptr WriteBackFile::take_error() {
  std::lock_guard lk(mu_);
  return std::exchange(pending_error_, nullptr);
}

void WriteBackFile::record_error(std::exception_ptr e) {
  std::lock_guard lk(mu_);
  pending_error_ = std::move(e);
}

bool WriteBackFile::mark_queued() {
  std::lock_guard lk(mu_);
  return !std::exchange(queued_, true);
}

}  // namespace skytrain::fs
