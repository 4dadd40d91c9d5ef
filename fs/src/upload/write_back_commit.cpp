// Turning a WriteBackFile into a stored object (see write_back_file.hpp for the model).
//
// Three ways, cheapest first:
//  - only metadata changed: CopyObject onto itself with the new metadata (server-side);
//  - the file fits in one part: one PUT of the assembled bytes (gaps read from the old object);
//  - otherwise: a multipart upload. Parts already streamed are reused; parts still in memory
//    are uploaded (read-modify-write: their gaps are filled with one ranged GET each); parts
//    nobody touched are copied from the old object with UploadPartCopy, so appending 1 MB to a
//    10 GB file moves ~1 part of data, not 10 GB. Parts go up in parallel on the part pool.
// The object appears only when the PUT or CompleteMultipartUpload returns. On any failure the
// multipart upload is aborted (it would otherwise be billed forever and never seen); if
// streamed parts were lost with it the file is marked broken, and the error is thrown.
#include <cstring>
#include <exception>

#include "skytrain/common/log.hpp"
#include "upload/job_group.hpp"
#include "upload/server_side_copy.hpp"
#include "upload/upload_engine.hpp"
#include "upload/write_back_file.hpp"

namespace skytrain::fs {

namespace {

// Releases a held lock for the duration of a scope (network calls), and takes it back even
// when the scope is left by an exception.
class Unlocked {
 public:
  explicit Unlocked(std::unique_lock<std::mutex>& lk) : lk_(lk) { lk_.unlock(); }
  ~Unlocked() { lk_.lock(); }
  Unlocked(const Unlocked&) = delete;
  Unlocked& operator=(const Unlocked&) = delete;

 private:
  std::unique_lock<std::mutex>& lk_;
};

}  // namespace

StoredObject WriteBackFile::commit() {
  Lock lk(mu_);
  return commit_locked(lk);
}

StoredObject WriteBackFile::commit_queued() {
  Lock lk(mu_);
  // queued_ stays set until commit_locked has set committing_ (or found nothing to store) in
  // this same hold of the lock: a writer woken by the notify below runs only once it is
  // released, and then finds the commit running, so it cannot change the snapshot.
  wait_idle_locked(lk);
  queued_ = false;
  cv_.notify_all();
  return commit_locked(lk);
}

StoredObject WriteBackFile::commit_locked(Lock& lk) {
  wait_idle_locked(lk);
  drop_spares_locked();  // a commit ends the streaming run, and may need the memory itself
  check_usable_locked();
  if (!dirty_locked()) return base_ ? *base_ : StoredObject{key_, "", size_};
  PutOptions o = opts_;
  committing_ = true;
  StoredObject obj;
  try {
    if (!data_dirty_ && base_ && base_->key != key_) {
      // Moved by a rename (move_to): a server-side copy, which keeps the stored metadata unless
      // it was changed since.
      const std::string from = base_->key, to = key_;
      const bool same_metadata = stored_opts_ && stored_opts_->metadata == o.metadata;
      Unlocked u(lk);
      obj = {to, copy_object(engine_, from, to, size_, same_metadata ? nullptr : &o), size_};
    } else if (!data_dirty_ && base_ && base_->key == key_ && size_ <= PartLayout::kMaxPartSize) {
      Unlocked u(lk);
      obj = {key_, engine_.store().copy(key_, key_, &o), size_};
    } else if (size_ <= engine_.options().layout.part_size(0) &&
               !(parts_.count(0) && parts_.at(0).state == PartState::uploaded)) {
      obj = commit_single_put(lk, o);
    } else {
      obj = commit_multipart(lk, o);
    }
  } catch (...) {
    bool lost = false;
    for (auto& [k, p] : parts_) lost |= p.state == PartState::uploaded;
    if (lost) broken_ = std::current_exception();
    drop_upload_locked();
    stream_error_ = nullptr;
    committing_ = false;
    cv_.notify_all();
    throw;
  }
  install_commit_locked(obj, o);
  committing_ = false;
  cv_.notify_all();
  return obj;
}

void WriteBackFile::install_commit_locked(StoredObject obj, const PutOptions& opts) {
  base_ = std::move(obj);
  base_limit_ = size_ = base_->size;
  parts_.clear();
  data_dirty_ = false;
  stored_opts_ = opts;
  stream_error_ = nullptr;
}

StoredObject WriteBackFile::commit_single_put(Lock& lk, const PutOptions& opts) {
  uint64_t n = size_;
  std::string_view body;
  PageBuffer assembled(n);
  TransientMemory mem;
  auto p0 = parts_.find(0);
  if (n == 0) {
    body = {};
  } else if (p0 != parts_.end() && p0->second.covered.covers(0, n)) {
    body = std::string_view(p0->second.data.data(), n);  // the buffer is the object: no copy
  } else {
    const uint64_t need = transient_bytes_locked(0, n);
    Unlocked u(lk);  // state is frozen while committing_ is set
    mem = engine_.reserve_transient(need);
    assembled.resize(n);
    fill_range_locked(0, n, assembled.data());
    body = assembled.view();
  }
  std::string etag;
  {
    Unlocked u(lk);
    etag = engine_.store().put(key_, body, opts);
  }
  drop_upload_locked();  // a streaming attempt made obsolete by a truncation
  return {key_, etag, n};
}

StoredObject WriteBackFile::commit_multipart(Lock& lk, const PutOptions& opts) {
  const PartLayout& L = engine_.options().layout;
  ensure_upload_id(lk);
  const uint64_t size = size_;
  const uint32_t last = L.part_index(size - 1);
  const std::string key = key_, id = *upload_id_;
  std::vector<CompletedPart> done(last + 1);
  {
    Unlocked u(lk);  // parts_, base_ and sizes are frozen while committing_ is set
    JobGroup jobs(engine_);
    for (uint32_t k = 0; k <= last; ++k) {
      const uint64_t s = L.part_start(k), e = std::min(size, L.part_end(k));
      CompletedPart& out = done[k];
      out.part_number = int(k) + 1;
      auto it = parts_.find(k);
      if (it != parts_.end() && it->second.state == PartState::uploaded) {
        out.etag = it->second.etag;
      } else if (it == parts_.end() && base_ && e <= base_limit_) {
        jobs.add([this, &out, key, id, s, e] {
          out.etag = engine_.store().upload_part_copy(key, id, out.part_number, base_->key, s, e - s);
        });
      } else {
        const Part* p = it == parts_.end() ? nullptr : &it->second;
        const uint64_t need = transient_bytes_locked(s, e);
        jobs.add([this, &out, p, key, id, s, e, need] {
          if (p && p->covered.covers(0, e - s)) {
            out.etag = engine_.store().upload_part(key, id, out.part_number, std::string_view(p->data.data(), e - s));
            return;
          }
          // Read-modify-write: the written bytes plus the old object's, in a new buffer.
          TransientMemory mem = engine_.reserve_transient(need);
          PageBuffer buf(e - s);
          buf.resize(e - s);
          fill_range_locked(s, e, buf.data());
          out.etag = engine_.store().upload_part(key, id, out.part_number, buf.view());
        });
      }
    }
    jobs.wait();
  }
  std::string etag;
  {
    Unlocked u(lk);
    etag = engine_.store().complete_multipart(key, id, done);
  }
  upload_id_.reset();  // completed: nothing left to abort
  if (upload_opts_.metadata != opts.metadata) {
    // The upload was created (when streaming began) with older metadata, e.g. a chmod while
    // writing. CopyObject can rewrite it up to 5 GiB; past that the older metadata stays.
    if (size <= PartLayout::kMaxPartSize) {
      Unlocked u(lk);
      etag = engine_.store().copy(key, key, &opts);
    } else {
      log::warn("metadata change of {} during its upload is not stored (object over 5 GiB)", key);
    }
  }
  return {key, etag, size};
}

}  // namespace skytrain::fs
