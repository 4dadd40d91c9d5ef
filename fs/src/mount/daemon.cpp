// Fork-and-wait daemonization; see daemon.hpp.
#include "skytrain/fs/mount/daemon.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "skytrain/common/error.hpp"

namespace skytrain::fs {

Daemon Daemon::start(const std::string& log_file) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = fork();
  if (pid < 0) fail_errno("fork");
  if (pid == 0) {
    rd.reset();
    setsid();
    return Daemon(std::move(wr), log_file);
  }
  wr.reset();
  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = read(rd.get(), buf, sizeof buf);
    if (n > 0) {
      msg.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  if (msg == "ready") std::_Exit(0);
  if (!msg.empty()) {
    std::fprintf(stderr, "skytrain-fs: %s\n", msg.c_str());
    std::_Exit(1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    std::fprintf(stderr, "skytrain-fs: the mount process was killed by signal %d before the mount was ready\n",
                 WTERMSIG(status));
  else
    std::fprintf(stderr, "skytrain-fs: the mount process exited with status %d before the mount was ready\n",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::_Exit(1);
}

void Daemon::ready() {
  if (!pipe_) return;
  if (chdir("/") != 0) { /* cannot fail for "/" in practice; stay where we are */ }
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = log_file_.empty() ? open("/dev/null", O_WRONLY | O_CLOEXEC)
                              : open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (out < 0) out = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (in >= 0) dup2(in, 0);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  if (in > 2) close(in);
  if (out > 2) close(out);
  static const char kReady[] = "ready";
  (void)!write(pipe_.get(), kReady, sizeof kReady - 1);
  pipe_.reset();
}

void Daemon::fail(const std::string& reason) {
  if (!pipe_) return;
  (void)!write(pipe_.get(), reason.data(), reason.size());
  pipe_.reset();
}

}  // namespace skytrain::fs
