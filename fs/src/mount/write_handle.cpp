// The handle of a file open for writing (or of any open of a file with unsaved data), and the
// check that tells a normal close from the kernel closing the files of a killed process.
//
// When a process dies from a signal (SIGKILL, an unhandled SIGTERM/SIGINT, a crash), the
// kernel closes its descriptors, which sends FLUSH just like a close() would. Publishing the
// file then would store whatever prefix the writer had reached: a torn object under the real
// name. So FLUSH looks at the closing task (the request's pid): if /proc/PID/stat shows it
// exiting (PF_EXITING) because of a signal (PF_SIGNALED), the file's unsaved changes are
// dropped and its multipart upload aborted, leaving the previous object, or none. A program
// that exits normally without closing (exit() closes for it) is not PF_SIGNALED and its file is
// stored as usual.
#include <fcntl.h>

#include <fstream>
#include <sstream>

#include "skytrain/common/log.hpp"
#include "mount/write_path.hpp"

namespace skytrain::fs {

namespace {
constexpr unsigned long kPfExiting = 0x00000004;   // include/linux/sched.h
constexpr unsigned long kPfSignaled = 0x00000400;  // killed by a signal
}  // namespace

bool killed_by_signal(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t close = line.rfind(')');  // the command name may contain spaces and parentheses
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  unsigned long flags = 0;
  // Fields after the name: state ppid pgrp session tty_nr tpgid flags.
  for (int i = 0; i < 7 && rest >> field; ++i)
    if (i == 6) flags = std::stoul(field);
  return (flags & kPfExiting) && (flags & kPfSignaled);
}

WriteHandle::WriteHandle(WritePath& wp, std::shared_ptr<WritePath::OpenFile> f, int flags)
    : FileHandle(f->node), wp_(wp), file_(std::move(f)), flags_(flags) {}

// Must not touch wp_: the write path may be gone when the handle table is torn down.
WriteHandle::~WriteHandle() = default;

ReadResult WriteHandle::read(uint64_t offset, uint64_t length) {
  auto buf = std::make_shared<std::string>(length, '\0');
  size_t n = file_->wb->read(offset, length, buf->data());
  buf->resize(n);
  ReadResult r;
  if (n) {
    r.slices.push_back(ReadResult::Slice{buf, buf->data(), n});
  }
  return r;
}

size_t WriteHandle::write(uint64_t offset, std::string_view data) {
  if ((flags_ & O_ACCMODE) == O_RDONLY) throw FsError(EBADF, "not open for writing");
  try {
    file_->wb->write(offset, data);
  } catch (const StoreError& e) {
    if (e.errno_value == EFBIG) throw FsError(EFBIG, e.what());
    throw;
  }
  wp_.note_modified(*file_);
  return data.size();
}

void WriteHandle::report_background_error() {
  if (std::exception_ptr e = file_->wb->take_error()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      throw FsError(EIO, std::string("an earlier upload of this file failed: ") + ex.what());
    }
  }
}

void WriteHandle::flush() {
  report_background_error();
  // A reader's close must not store a writer's unfinished file.
  if (wp_.config().wait_on_close && WritePath::writes_through(flags_) && file_->wb->dirty()) wp_.commit_now(file_);
}

bool WriteHandle::flush_by(pid_t pid) {
  if (WritePath::writes_through(flags_) && file_->wb->dirty() && killed_by_signal(pid)) {
    log::warn("process {} was killed while writing {}: its unsaved changes are dropped", pid, file_->wb->key());
    file_->wb->revert();
    std::lock_guard lk(file_->attr_mu);
    if (std::optional<StoredObject> st = file_->wb->stored()) {
      Attributes a = file_->node->attributes();
      a.size = st->size;
      a.etag = st->etag;
      file_->node->set_attributes(a, wp_.attr_expiry());
    }
    file_->node->set_local(false);
    file_->node->expire_attributes();
    return true;
  }
  flush();
  return false;
}

void WriteHandle::fsync(bool /*datasync*/) {
  report_background_error();
  wp_.commit_now(file_);
}

void WriteHandle::release() {
  if (released_) return;
  released_ = true;
  wp_.close(file_, WritePath::writes_through(flags_));
}

}  // namespace skytrain::fs
