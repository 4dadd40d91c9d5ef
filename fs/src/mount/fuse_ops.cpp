// The FUSE low-level operations, all in one table (see fuse_operations() at the bottom), each a
// thin adapter: decode the request, call the Filesystem method of the same name, reply. Errors
// travel as exceptions and become errno replies in exactly one place (reply_error).
#include "mount/fuse_ops.hpp"

#include <fcntl.h>
#include <sys/uio.h>

#include <cstring>

#include <vector>

#include "skytrain/common/log.hpp"
#include "mount/filesystem.hpp"

namespace skytrain::fs {

namespace {

FuseContext& context(fuse_req_t req) { return *static_cast<FuseContext*>(fuse_req_userdata(req)); }
Filesystem& fs_of(fuse_req_t req) { return *context(req).fs; }

Caller caller_of(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  return Caller{c->uid, c->gid, c->pid};
}

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

void reply_error(fuse_req_t req) { fuse_reply_err(req, current_exception_errno()); }

fuse_entry_param to_entry(const EntryReply& e) {
  fuse_entry_param p{};
  p.ino = e.ino;
  p.generation = 1;
  if (e.ino) fill_stat(p.attr, e.ino, e.attr);
  p.attr_timeout = seconds(e.attr_ttl);
  p.entry_timeout = seconds(e.entry_ttl);
  return p;
}

void reply_entry(fuse_req_t req, const EntryReply& e) {
  fuse_entry_param p = to_entry(e);
  if (fuse_reply_entry(req, &p) != 0 && e.ino) fs_of(req).forget(e.ino, 1);  // interrupted
}

void reply_attr(fuse_req_t req, InodeNumber ino, const Attributes& a) {
  struct stat st;
  fill_stat(st, ino, a);
  fuse_reply_attr(req, &st, seconds(fs_of(req).stat_ttl()));
}

void reply_open(fuse_req_t req, fuse_file_info* fi, const OpenReply& o) {
  fi->fh = o.fh;
  fi->keep_cache = o.keep_cache;
  fi->direct_io = o.direct_io;
  if (fuse_reply_open(req, fi) != 0) fs_of(req).release(o.fh);  // interrupted: nobody will release it
}

// --- lifecycle ---

void op_init(void* userdata, fuse_conn_info* conn) {
  const FuseTuning& t = static_cast<FuseContext*>(userdata)->tuning;
  conn->max_write = t.max_write;
  conn->max_read = t.max_write;  // must match the max_read mount option
  conn->max_background = t.max_background;
  conn->congestion_threshold = t.congestion_threshold;
  // The kernel's own read-ahead window: our read-ahead does the heavy lifting, the kernel's
  // keeps its requests large (1 MiB). The kernel takes the minimum of this and the mount's bdi
  // read-ahead, which run_fuse_session raised to the same value (kernel_read_ahead.hpp).
  conn->max_readahead = t.max_write;
  auto want = [&](unsigned cap) {
    if (conn->capable & cap) conn->want |= cap;
  };
  want(FUSE_CAP_ASYNC_READ);
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  want(FUSE_CAP_PARALLEL_DIROPS);
  want(FUSE_CAP_AUTO_INVAL_DATA);
  want(FUSE_CAP_CACHE_SYMLINKS);
  if (t.writeback_cache) want(FUSE_CAP_WRITEBACK_CACHE);
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
  log::debug("fuse init: protocol {}.{}, max_write {}, max_readahead {}, max_background {}", conn->proto_major,
             conn->proto_minor, conn->max_write, conn->max_readahead, conn->max_background);
}

// --- names and attributes ---

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  try {
    reply_entry(req, fs_of(req).lookup(parent, name));
  } catch (...) {
    reply_error(req);
  }
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  fs_of(req).forget(ino, nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) fs_of(req).forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  try {
    reply_attr(req, ino, fs_of(req).getattr(ino));
  } catch (...) {
    reply_error(req);
  }
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  try {
    reply_attr(req, ino, fs_of(req).setattr(ino, *attr, to_set, fi ? fi->fh : 0, caller_of(req)));
  } catch (...) {
    reply_error(req);
  }
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  try {
    std::string target = fs_of(req).readlink(ino);
    fuse_reply_readlink(req, target.c_str());
  } catch (...) {
    reply_error(req);
  }
}

// --- namespace changes ---

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  try {
    reply_entry(req, fs_of(req).mknod(parent, name, mode, rdev, caller_of(req)));
  } catch (...) {
    reply_error(req);
  }
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  try {
    reply_entry(req, fs_of(req).mkdir(parent, name, mode, caller_of(req)));
  } catch (...) {
    reply_error(req);
  }
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  try {
    fs_of(req).unlink(parent, name);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  try {
    fs_of(req).rmdir(parent, name);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  try {
    reply_entry(req, fs_of(req).symlink(target, parent, name, caller_of(req)));
  } catch (...) {
    reply_error(req);
  }
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
               unsigned flags) {
  try {
    fs_of(req).rename(parent, name, newparent, newname, flags);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  try {
    fs_of(req).link(ino, newparent, newname);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

// --- files ---

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  try {
    Filesystem& fs = fs_of(req);
    OpenReply o;
    EntryReply e = fs.create(parent, name, mode, fi->flags, caller_of(req), o);
    fuse_entry_param p = to_entry(e);
    fi->fh = o.fh;
    fi->keep_cache = o.keep_cache;
    fi->direct_io = o.direct_io;
    if (fuse_reply_create(req, &p, fi) != 0) {
      fs.release(o.fh);
      fs.forget(e.ino, 1);
    }
  } catch (...) {
    reply_error(req);
  }
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  try {
    reply_open(req, fi, fs_of(req).open(ino, fi->flags));
  } catch (...) {
    reply_error(req);
  }
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  try {
    ReadResult r = fs_of(req).read(fi->fh, static_cast<uint64_t>(off), size);
    std::vector<iovec> iov;
    iov.reserve(r.slices.size());
    for (const auto& s : r.slices) iov.push_back({const_cast<char*>(s.data), s.size});
    // The parts stay alive (r holds them) until the reply has been written.
    fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
  } catch (...) {
    reply_error(req);
  }
}

void op_write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  try {
    size_t n = fs_of(req).write(fi->fh, static_cast<uint64_t>(off), std::string_view(buf, size));
    fuse_reply_write(req, n);
  } catch (...) {
    reply_error(req);
  }
}

void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  try {
    fs_of(req).flush(fi->fh, fuse_req_ctx(req)->pid);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

void op_fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  try {
    fs_of(req).fsync(fi->fh, datasync != 0);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  try {
    fs_of(req).release(fi->fh);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs s = fs_of(req).statfs();
  fuse_reply_statfs(req, &s);
}

// --- directories ---

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  try {
    fi->fh = fs_of(req).opendir(ino);
    fi->cache_readdir = 0;
    if (fuse_reply_open(req, fi) != 0) fs_of(req).releasedir(fi->fh);
  } catch (...) {
    reply_error(req);
  }
}

void do_readdir(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  try {
    std::vector<char> buf(size);
    size_t used = 0;
    fs_of(req).readdir(fi->fh, static_cast<uint64_t>(off), plus, [&](const DirEntryOut& d) {
      size_t n;
      if (plus) {
        fuse_entry_param p = to_entry(d.entry);
        // "." and "..", and entries of unknown type: not looked up, only the type and number are used
        if (!d.entry.ino) {
          std::memset(&p.attr, 0, sizeof p.attr);
          p.attr.st_mode = d.entry.attr.mode;
        }
        p.attr.st_ino = d.dirent_ino;
        n = fuse_add_direntry_plus(req, buf.data() + used, size - used, d.name.c_str(), &p,
                                   static_cast<off_t>(d.next_offset));
      } else {
        struct stat st {};
        st.st_ino = d.dirent_ino;
        st.st_mode = d.entry.attr.mode;
        n = fuse_add_direntry(req, buf.data() + used, size - used, d.name.c_str(), &st,
                              static_cast<off_t>(d.next_offset));
      }
      if (n > size - used) return false;
      used += n;
      return true;
    });
    fuse_reply_buf(req, buf.data(), used);
  } catch (...) {
    reply_error(req);
  }
}

void op_readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  fs_of(req).releasedir(fi->fh);
  fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) {
  try {
    fs_of(req).fsyncdir(ino);
    fuse_reply_err(req, 0);
  } catch (...) {
    reply_error(req);
  }
}

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
  ops.getattr = op_getattr;
  ops.setattr = op_setattr;
  ops.readlink = op_readlink;
  ops.mknod = op_mknod;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.symlink = op_symlink;
  ops.rename = op_rename;
  ops.link = op_link;
  ops.create = op_create;
  ops.open = op_open;
  ops.read = op_read;
  ops.write = op_write;
  ops.flush = op_flush;
  ops.fsync = op_fsync;
  ops.release = op_release;
  ops.statfs = op_statfs;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.releasedir = op_releasedir;
  ops.fsyncdir = op_fsyncdir;
  // No xattr operations: ENOSYS tells the kernel not to ask again (security.capability on writes).
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& fuse_operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

}  // namespace skytrain::fs
