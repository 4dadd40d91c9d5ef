// The FUSE session lifecycle; see fuse_session.hpp.
#include "mount/fuse_session.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "mount/kernel_read_ahead.hpp"

namespace skytrain::fs {

TerminationSignalsBlocked::TerminationSignalsBlocked() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &s, &old_);
}

TerminationSignalsBlocked::~TerminationSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

namespace {

struct SessionDeleter {
  void operator()(fuse_session* se) const { fuse_session_destroy(se); }
};
using SessionPtr = std::unique_ptr<fuse_session, SessionDeleter>;

struct LoopConfigDeleter {
  void operator()(fuse_loop_config* c) const { fuse_loop_cfg_destroy(c); }
};

// Signal handlers installed for the session's lifetime.
class SignalHandlers {
 public:
  explicit SignalHandlers(fuse_session* se) : se_(se) {
    if (fuse_set_signal_handlers(se_) != 0) fail("cannot install signal handlers");
  }
  ~SignalHandlers() { fuse_remove_signal_handlers(se_); }

 private:
  fuse_session* se_;
};

// The Filesystem's way to invalidate kernel entries, for the session's lifetime.
class EntryInvalidation {
 public:
  EntryInvalidation(Filesystem& fs, fuse_session* se) : fs_(fs) {
    fs_.set_entry_invalidator([se](InodeNumber parent, const std::string& name) {
      // ENOENT: the kernel holds no entry (or no parent) by that name: nothing to forget.
      if (int rc = fuse_lowlevel_notify_inval_entry(se, parent, name.data(), name.size()); rc != 0 && rc != -ENOENT)
        log::warn("could not invalidate the kernel's entry for {}: {}", name, std::strerror(-rc));
    });
  }
  ~EntryInvalidation() { fs_.set_entry_invalidator(nullptr); }
  EntryInvalidation(const EntryInvalidation&) = delete;
  EntryInvalidation& operator=(const EntryInvalidation&) = delete;

 private:
  Filesystem& fs_;
};

// The kernel mount, unmounted on scope exit.
class Mounted {
 public:
  Mounted(fuse_session* se, const std::string& mountpoint) : se_(se) {
    if (fuse_session_mount(se_, mountpoint.c_str()) != 0)
      fail("cannot mount on {} (is it an empty directory you may mount on?)", mountpoint);
  }
  ~Mounted() { fuse_session_unmount(se_); }

 private:
  fuse_session* se_;
};

}  // namespace

void run_fuse_session(Filesystem& fs, const FuseSessionSettings& settings, const std::function<void()>& on_mounted) {
  FuseContext ctx{&fs, settings.tuning};
  std::string joined;
  for (const std::string& o : settings.options) joined += (joined.empty() ? "" : ",") + o;
  std::vector<std::string> argv_s = {"skytrain-fs"};
  if (!joined.empty()) {
    argv_s.push_back("-o");
    argv_s.push_back(joined);
  }
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // fuse_session_new may rewrite the arguments into memory of its own (fuse_opt_add_arg): freed
  // after the session (LeakSanitizer reported it at every unmount).
  std::unique_ptr<fuse_args, decltype(&fuse_opt_free_args)> args_owner(&args, &fuse_opt_free_args);
  const fuse_lowlevel_ops& ops = fuse_operations();
  SessionPtr se(fuse_session_new(&args, &ops, sizeof ops, &ctx));
  if (!se) fail("invalid FUSE options: {}", joined);
  // Resolved before mounting: afterwards a path lookup through the mountpoint waits for FUSE_INIT.
  char resolved[PATH_MAX];
  const std::string canonical_mountpoint =
      realpath(settings.mountpoint.c_str(), resolved) ? std::string(resolved) : settings.mountpoint;
  {
    SignalHandlers signals(se.get());
    {
      Mounted mounted(se.get(), settings.mountpoint);
      set_kernel_read_ahead(canonical_mountpoint, settings.tuning.max_write);
      EntryInvalidation invalidation(fs, se.get());
      on_mounted();
      std::unique_ptr<fuse_loop_config, LoopConfigDeleter> cfg(fuse_loop_cfg_create());
      fuse_loop_cfg_set_max_threads(cfg.get(), static_cast<unsigned>(settings.threads));
      // Idle threads are kept: a sequential read arrives as bursts of async requests, and a
      // smaller idle limit destroys threads after each burst only to create them for the next.
      fuse_loop_cfg_set_idle_threads(cfg.get(), static_cast<unsigned>(settings.threads));
      fuse_loop_cfg_set_clone_fd(cfg.get(), 1);
      int rc = fuse_session_loop_mt(se.get(), cfg.get());
      if (rc != 0 && rc != SIGTERM && rc != SIGINT && rc != SIGHUP) log::warn("FUSE loop ended with {}", rc);
      log::info("unmounting {}: finishing pending work", settings.mountpoint);
      fs.shutdown();
    }
  }
  log::info("unmounted {} (peak of buffered bytes: {} MiB of the {} MiB --memory-limit)", settings.mountpoint,
            fs.memory_budget().peak() >> 20, fs.memory_budget().limit() >> 20);
  if (const ScanAhead::Stats s = fs.scan_ahead_stats(); s.heads != 0)
    log::info("scan-ahead: {} files looked at ahead of readers ({} LISTs, {} whole-file GETs); {} lookups and {} opens "
              "answered from them, {} dropped unused",
              s.heads, s.lists, s.bodies, s.lookups_answered, s.bodies_taken, s.dropped_unused);
}

}  // namespace skytrain::fs
