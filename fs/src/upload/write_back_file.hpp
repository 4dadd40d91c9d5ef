// The write-back buffer of one file (inode) and the rules that turn it into an S3 object.
//
// A file's content is described as: the object it started from (the "base", possibly none),
// a logical size, and dirty parts held in memory. Parts follow PartLayout, so part N always
// covers the same bytes. Inside a part only the bytes actually written are marked as covered;
// the others come from the base (bytes below `base_limit_`) or are zero (past a truncation or
// the base's end). Nothing reaches S3 under the file's key until commit: a PUT for files that
// fit in one part, otherwise CompleteMultipartUpload. A writer killed mid-file therefore leaves
// the old object or none, never a torn one.
//
// Streaming: once a sequential run of writes has completely written a part (other than the
// first), the part is uploaded at once on the part pool as part of a multipart upload and its
// memory is returned to the budget, so a 10 GB file never needs 10 GB of RAM. A writer that
// outruns the uploads waits once a window of parts is in flight (write_behind_parts()), and
// the uploaded buffers are kept as spares, with their leases, for the next new parts: their
// pages are already resident, and filling fresh pages (a fault and a clear per page) was the
// largest CPU cost of a streaming write (page_buffer.hpp). A commit, a discard and memory
// pressure drop the spares. The first part stays in memory until commit because writers
// often come back to patch a header at offset 0.
// Parts filled by scattered writes stay in memory (a random writer is likely to come back to
// them), unless the memory budget runs short: then every complete part is streamed. At commit, parts that are still in
// memory are uploaded (their gaps filled with a ranged GET of the base: read-modify-write), and
// parts nobody touched are copied server-side from the base with UploadPartCopy.
//
// An uploaded part's bytes are no longer in memory, and S3 cannot read back an unfinished
// upload. If a write, read or truncate needs such a part again, the file is committed first
// (like an fsync) and the operation continues on top of the new object. Sequential writers
// never hit this; a writer that seeks back more than one part behind its head does.
//
// Threading: one mutex per file. Network calls run without it, except the ranged GETs a read
// of a half-written part needs. While a commit runs, writes, reads and truncates wait for it.
//
// Close points: a background commit stores the file as it was when it was queued (when its last
// writer was released, mount/write_path.hpp), not as it is when a commit thread gets to it. From mark_queued() until
// the commit has taken its snapshot (commit_queued()), writes, truncates and reverts wait, so
// the next open's first WRITE (the kernel splits an append at a page boundary) cannot slip into
// the queued commit: only states a close or fsync was called on ever reach the bucket.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memory/memory_budget.hpp"
#include "store/object_store.hpp"
#include "upload/interval_set.hpp"
#include "memory/page_buffer.hpp"

namespace skytrain::fs {

class UploadEngine;

struct StoredObject {
  std::string key;
  std::string etag;
  uint64_t size = 0;
};

class WriteBackFile : public std::enable_shared_from_this<WriteBackFile> {
 public:
  // `base`: the object the file starts from, nullopt for a new file. `created`: the object must
  // be written even if no byte is (an empty file made by create()).
  static std::shared_ptr<WriteBackFile> make(UploadEngine& engine, std::string key,
                                             std::optional<StoredObject> base, bool created,
                                             PutOptions opts);
  WriteBackFile(const WriteBackFile&) = delete;
  WriteBackFile& operator=(const WriteBackFile&) = delete;
  ~WriteBackFile();  // aborts a multipart upload that was never completed

  // All of these throw StoreError (errno EIO, ESTALE, EFBIG...) on failure.
  void write(uint64_t offset, std::string_view data);
  size_t read(uint64_t offset, size_t length, char* out);  // short only at end of file
  void truncate(uint64_t new_size);
  // Stores the contents (and metadata) if anything changed; returns once the object is visible
  // to every S3 client. On failure the multipart upload is aborted and the error thrown.
  StoredObject commit();

  // Metadata and content type for the next commit. A change in metadata alone makes the file
  // dirty (stored with a server-side copy when the data is unchanged).
  void set_put_options(PutOptions opts);
  PutOptions put_options() const;

  uint64_t size() const;
  bool dirty() const;
  std::string key() const;
  std::optional<StoredObject> stored() const;  // what the last commit (or the base) stored
  // After a rename (done only on a clean file): the object now lives under `obj.key`.
  void rebase(StoredObject obj);
  // A rename left to the next commit: the file now belongs under `key`, and that commit copies
  // the base there server-side (or, if the file was written since, stores it there from its
  // parts and the base), leaving the base's object for the caller to delete. False, and nothing
  // changed, if the file has unsaved changes or a commit queued or running: store it first.
  bool move_to(std::string key);
  // The file was unlinked, or its writer died: drop everything not yet committed and abort the
  // multipart upload. discard() makes later commits no-ops; revert() goes back to the base.
  void discard();
  void revert();

  // The error of a failed background commit, returned (and cleared) once.
  std::exception_ptr take_error();
  void record_error(std::exception_ptr e);

  // Memory is short (UploadEngine::relieve_pressure): streams every complete buffered part.
  void stream_for_memory();

  // UploadEngine::commit_in_background: marks the current state as the one the queued commit
  // must store (see "Close points"). False if a commit is already queued: it stores this very
  // state, since no write can land before it has taken its snapshot.
  bool mark_queued();
  // The queued commit, on a commit thread: takes the snapshot, then lets writes go on behind it.
  StoredObject commit_queued();

 private:
  enum class PartState { buffered, uploading, uploaded };
  struct Part {
    PartState state = PartState::buffered;
    PageBuffer data;      // bytes [0, data.size()) of the part; valid where `covered`
    IntervalSet covered;  // offsets relative to the part's start
    std::string etag;     // once uploaded
    MemoryLease lease;    // accounts data.capacity()
  };
  using Lock = std::unique_lock<std::mutex>;

  WriteBackFile(UploadEngine& engine, std::string key, std::optional<StoredObject> base, bool created,
                PutOptions opts);

  bool dirty_locked() const;
  // Write-behind window: a writer about to start a new part (other than the first) waits
  // while this many of the file's parts are uploading. Without it a writer that outruns the
  // uploads fills fresh buffers up to --memory-limit (1 GiB by default), and a fresh buffer
  // costs a page fault and a page clear per page: a fifth of the driver's CPU in a 1 GiB
  // write at +20 ms (perf), where 76 of its 128 parts were new mappings. With the window the
  // writer waits for an upload, whose buffer becomes a spare it fills next. Two more than
  // the part-upload threads keeps every thread busy while the writer refills.
  size_t write_behind_parts() const;
  bool starts_new_part_locked(uint32_t first, uint32_t last) const;  // a part in [max(first,1), last] not held
  // Whether spares_[i] can hold part `k` (same part size).
  bool spare_fits_locked(size_t i, uint32_t k) const;
  void keep_or_free_locked(Part& p);  // after p's upload: p's buffer becomes a spare, or goes
  void drop_spares_locked();
  void wait_idle_locked(Lock& lk);  // no commit running, no part upload in flight
  // No commit running or queued: the content may change (see "Close points").
  void wait_unsealed_locked(Lock& lk);
  void check_usable_locked() const;
  StoredObject commit_locked(Lock& lk);
  StoredObject commit_single_put(Lock& lk, const PutOptions& opts);
  StoredObject commit_multipart(Lock& lk, const PutOptions& opts);
  void install_commit_locked(StoredObject obj, const PutOptions& opts);
  void drop_upload_locked();
  bool needs_commit_first_locked(uint64_t begin, uint64_t end, Lock& lk);
  uint64_t growth_needed_locked(uint64_t offset, std::string_view data) const;
  void apply_write_locked(uint64_t offset, std::string_view data, MemoryLease& reserved);
  // Streams complete parts in [first, last]: those inside the current sequential run, or all
  // of them when `under_pressure`.
  void schedule_full_parts_locked(uint32_t first, uint32_t last, bool under_pressure);
  void upload_part_job(uint32_t index);
  void ensure_upload_id(Lock& lk);
  // Fills out[0, end-begin) with the file's bytes in [begin, end) (all below size_). Parts in
  // the range must not be uploaded-only. Base bytes are fetched with ranged GETs.
  // Allocates at most one temporary of (end - begin) bytes for the base's bytes: a commit
  // accounts it with transient_bytes_locked().
  void fill_range_locked(uint64_t begin, uint64_t end, char* out) const;
  // The base's bytes in [begin, min(end, base_limit_)) (one ranged GET; empty past it).
  std::string fetch_base(uint64_t begin, uint64_t end) const;
  // Memory a commit needs to assemble [begin, end) into a new buffer: the buffer and the GET.
  uint64_t transient_bytes_locked(uint64_t begin, uint64_t end) const;

  UploadEngine& engine_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string key_;
  std::optional<StoredObject> base_;
  uint64_t base_limit_ = 0;  // bytes below this not covered by parts come from the base
  uint64_t size_ = 0;
  uint64_t run_start_ = 0, run_end_ = 0;  // the current run of back-to-back writes
  bool data_dirty_ = false;
  PutOptions opts_;
  std::optional<PutOptions> stored_opts_;  // metadata of the stored object, if known
  std::map<uint32_t, Part> parts_;
  struct Spare {
    PageBuffer data;    // an uploaded part's buffer, pages resident (see "Streaming")
    MemoryLease lease;  // accounts data.capacity()
  };
  std::vector<Spare> spares_;  // at most write_behind_parts(); new parts take the last
  std::optional<std::string> upload_id_;
  PutOptions upload_opts_;  // metadata the multipart upload was created with
  bool creating_upload_ = false;
  int uploads_in_flight_ = 0;
  bool committing_ = false;
  bool discarded_ = false;
  std::exception_ptr broken_;  // streamed parts were lost with an aborted upload
  std::exception_ptr stream_error_;  // a part upload failed: writes fail until commit/truncate
  std::exception_ptr pending_error_;  // background commit failure, for the next fsync/flush
  bool queued_ = false;  // a background commit of the current state is queued, not yet started
  bool tracked_ = false;  // registered with UploadEngine::track_buffering
};

}  // namespace skytrain::fs
