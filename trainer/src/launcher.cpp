// --nproc-per-node / SkyPilot launches: this node's ranks as child processes, like torchrun's
// agent. Node 0's launcher hosts the TCPStore, so the store (and with it the failure records
// and heartbeats the ranks keep there) outlives any rank. The launcher judges the job by its
// children's exit statuses: the first failure is what it reports.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstring>
#include <thread>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/trainer/distributed.hpp"

extern char** environ;

namespace skytrain::trainer {

namespace {

std::atomic<int> g_signal{0};
void on_signal(int s) { g_signal.store(s); }

// Child processes that are killed and reaped if the launcher leaves early (an exception).
class Children {
 public:
  struct Child {
    pid_t pid;
    int rank;
    bool running = true;
  };
  ~Children() {
    for (auto& c : list)
      if (c.running) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, nullptr, 0);
      }
  }
  void signal_running(int sig) {
    for (auto& c : list)
      if (c.running) kill(c.pid, sig);
  }
  bool any_running() const {
    for (auto& c : list)
      if (c.running) return true;
    return false;
  }
  std::vector<Child> list;
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

}  // namespace

int run_launcher(const LaunchPlan& plan, char** argv, std::chrono::seconds dist_timeout) {
  const std::string addr = plan.master_addr.empty() ? "127.0.0.1" : plan.master_addr;
  int port = plan.master_port;
  c10::intrusive_ptr<c10d::TCPStore> store;
  if (plan.node_rank == 0) {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(port);  // 0 (single node, no MASTER_PORT): a free port
    o.isServer = true;
    o.waitWorkers = false;
    o.timeout = dist_timeout;
    try {
      store = c10::make_intrusive<c10d::TCPStore>(addr, o);
    } catch (const std::exception& x) {
      fail("cannot host the rendezvous store on port {} (MASTER_PORT): {}", port, error_text(x));
    }
    port = store->getPort();
  }
  log::info("launching ranks {}..{} of {} on node {} of {} (rendezvous {}:{}, --dist-timeout {}s)", plan.node_rank * plan.nproc_per_node,
            (plan.node_rank + 1) * plan.nproc_per_node - 1, plan.world(), plan.node_rank, plan.num_nodes, addr, port, dist_timeout.count());

  char exe[PATH_MAX] = {};
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) fail_errno("readlink /proc/self/exe");

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  Children children;
  const pid_t launcher = getpid();
  for (int i = 0; i < plan.nproc_per_node; ++i) {
    const int rank = plan.node_rank * plan.nproc_per_node + i;
    // The environment is built before fork(): between fork and exec only async-signal-safe calls.
    std::vector<std::string> vars;
    for (char** e = environ; *e; ++e) {
      static const char* ours[] = {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
                                   "SKYTRAIN_LAUNCHER_STORE=", "TORCHELASTIC_USE_AGENT_STORE=", "TORCHELASTIC_RESTART_COUNT="};
      bool skip = false;
      for (const char* p : ours) skip = skip || std::strncmp(*e, p, std::strlen(p)) == 0;
      if (!skip) vars.emplace_back(*e);
    }
    vars.push_back(fmt::format("RANK={}", rank));
    vars.push_back(fmt::format("WORLD_SIZE={}", plan.world()));
    vars.push_back(fmt::format("LOCAL_RANK={}", i));
    vars.push_back(fmt::format("LOCAL_WORLD_SIZE={}", plan.nproc_per_node));
    vars.push_back(fmt::format("MASTER_ADDR={}", addr));
    vars.push_back(fmt::format("MASTER_PORT={}", port));
    vars.push_back("SKYTRAIN_LAUNCHER_STORE=1");
    std::vector<char*> envp;
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) fail_errno("fork");
    if (pid == 0) {
      // A launcher that dies takes its ranks with it (they would otherwise train on alone).
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != launcher) _exit(1);
      execve(exe, argv, envp.data());
      _exit(127);
    }
    children.list.push_back({pid, rank});
  }

  // Wait. After the first failure the others get --dist-timeout (plus a margin) to notice and
  // exit on their own, which is what names the culprit in their logs; then SIGTERM, SIGKILL.
  using Clock = std::chrono::steady_clock;
  std::string first_failure;
  constexpr Clock::time_point kNever = Clock::time_point::max();
  Clock::time_point term_at = kNever, kill_at = kNever;
  bool forwarded = false;
  while (children.any_running()) {
    if (int s = g_signal.load(); s && !forwarded) {
      log::warn("launcher: got signal {}, forwarding to the ranks", s);
      children.signal_running(s);
      forwarded = true;
      kill_at = Clock::now() + std::chrono::seconds(30);
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (auto& c : children.list) {
        if (c.pid != pid) continue;
        c.running = false;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && first_failure.empty()) {
          first_failure = fmt::format("rank {} (pid {}) {}", c.rank, pid, describe_status(status));
          log::error("launcher: {}; waiting up to --dist-timeout for the other ranks to stop", first_failure);
          term_at = Clock::now() + dist_timeout + std::chrono::seconds(15);
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    const auto now = Clock::now();
    if (now >= term_at) {
      log::error("launcher: ranks still running {}s after {}: terminating them", dist_timeout.count(), first_failure);
      children.signal_running(SIGTERM);
      term_at = kNever;
      kill_at = now + std::chrono::seconds(10);
    }
    if (now >= kill_at) {
      children.signal_running(SIGKILL);
      kill_at = kNever;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!first_failure.empty()) {
    log::error("skytrain-train: the job failed: {}", first_failure);
    return 1;
  }
  if (int s = g_signal.load()) return 128 + s;
  return 0;
}

}  // namespace skytrain::trainer
