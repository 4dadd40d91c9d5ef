// Rank environment, rendezvous, the Gloo/NCCL backend and the failure monitor; see
// distributed.hpp. The launcher (processes) is in launcher.cpp.
#include "skytrain/trainer/distributed.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/unique_fd.hpp"
#include "distributed_backend.hpp"

namespace skytrain::trainer {

namespace {

using Clock = std::chrono::steady_clock;

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int env_int(const char* name, int lo, int hi) {
  const char* v = env(name);
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (!end || *end || x < lo || x > hi) fail("environment variable {}={}: expected an integer in [{}, {}]", name, v, lo, hi);
  return static_cast<int>(x);
}

// The local address this host uses to reach `master`: Gloo's device must bind to an address
// its peers can reach, and its default (the hostname's address, else loopback) is wrong on
// hosts whose hostname resolves to 127.0.1.1 or not at all. UDP connect() sends nothing.
std::string local_address_towards(const std::string& master, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(master.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    fail("MASTER_ADDR {}: cannot resolve: {}", master, gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  UniqueFd fd(socket(res->ai_family, SOCK_DGRAM, 0));
  if (!fd || connect(fd.get(), res->ai_addr, res->ai_addrlen) != 0) fail("MASTER_ADDR {}: no route: {}", master, std::strerror(errno));
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) fail("getsockname: {}", std::strerror(errno));
  char buf[INET6_ADDRSTRLEN] = {};
  const void* a = ss.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr)
                                           : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&ss)->sin_addr);
  inet_ntop(ss.ss_family, a, buf, sizeof buf);
  return buf;
}

c10::intrusive_ptr<c10d::Store> connect_store(const RankEnv& e, bool host, std::chrono::seconds timeout) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(e.master_port);
  o.isServer = host;
  o.waitWorkers = false;
  o.timeout = timeout;
  try {
    auto s = c10::make_intrusive<c10d::TCPStore>(e.master_addr, o);
    return c10::make_intrusive<c10d::PrefixStore>(e.store_prefix, s);
  } catch (const std::exception& x) {
    fail("rank {}: cannot reach the rendezvous store at MASTER_ADDR={} MASTER_PORT={} within --dist-timeout {}s: {}", e.rank,
         e.master_addr, e.master_port, timeout.count(), error_text(x));
  }
}

std::string hb_key(int r) { return "hb/" + std::to_string(r); }
std::string failed_key(int r) { return "failed/" + std::to_string(r); }


}  // namespace

std::string error_text(const std::exception& x) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&x)) return c->what_without_backtrace();
  return x.what();
}

#ifndef SKYTRAIN_WITH_NCCL
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>&, int, int, torch::Device, std::chrono::seconds) {
  fail("--device cuda with several ranks: this skytrain-train was built without the NCCL backend (the torch wheel has no CUDA, or its "
       "CUDA headers were incomplete at configure time: see the CMake warning; re-run ./setup.sh and reconfigure)");
}
#endif

std::optional<RankEnv> rank_env_from_environment() {
  if (!env("RANK") && !env("WORLD_SIZE")) return std::nullopt;
  if (!env("RANK") || !env("WORLD_SIZE")) fail("RANK and WORLD_SIZE must be set together (torchrun-style launch)");
  RankEnv e;
  e.world = env_int("WORLD_SIZE", 1, 1 << 20);
  e.rank = env_int("RANK", 0, e.world - 1);
  e.local_rank = env("LOCAL_RANK") ? env_int("LOCAL_RANK", 0, 1 << 20) : 0;
  e.local_world = env("LOCAL_WORLD_SIZE") ? env_int("LOCAL_WORLD_SIZE", 1, 1 << 20) : 1;
  if (e.world == 1) return e;
  if (!env("MASTER_ADDR")) fail("RANK/WORLD_SIZE are set but MASTER_ADDR is not: the address of rank 0's host");
  if (!env("MASTER_PORT")) fail("RANK/WORLD_SIZE are set but MASTER_PORT is not: the rendezvous store's port");
  e.master_addr = env("MASTER_ADDR");
  e.master_port = env_int("MASTER_PORT", 1, 65535);
  // torchrun's agent hosts a TCPStore on MASTER_PORT and tells its workers to use it.
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  e.external_store = (agent && std::string(agent) == "True") || env("SKYTRAIN_LAUNCHER_STORE");
  e.store_prefix = fmt::format("skytrain/{}/", env("TORCHELASTIC_RESTART_COUNT") ? env("TORCHELASTIC_RESTART_COUNT") : "0");
  return e;
}

LaunchPlan launch_plan_from_environment(int nproc_flag, int cuda_devices) {
  LaunchPlan p;
  if (env("SKYPILOT_NODE_IPS")) {
    std::vector<std::string> ips;
    std::string all = env("SKYPILOT_NODE_IPS");
    for (size_t s = 0; s < all.size();) {
      size_t nl = all.find('\n', s);
      if (nl == std::string::npos) nl = all.size();
      std::string ip = all.substr(s, nl - s);
      while (!ip.empty() && (ip.back() == '\r' || ip.back() == ' ')) ip.pop_back();
      if (!ip.empty()) ips.push_back(ip);
      s = nl + 1;
    }
    if (ips.empty()) fail("SKYPILOT_NODE_IPS is set but holds no address");
    p.num_nodes = env("SKYPILOT_NUM_NODES") ? env_int("SKYPILOT_NUM_NODES", 1, 1 << 16) : static_cast<int>(ips.size());
    if (p.num_nodes != static_cast<int>(ips.size()))
      fail("SKYPILOT_NUM_NODES={} but SKYPILOT_NODE_IPS lists {} address(es)", p.num_nodes, ips.size());
    if (!env("SKYPILOT_NODE_RANK")) fail("SKYPILOT_NODE_IPS is set but SKYPILOT_NODE_RANK is not");
    p.node_rank = env_int("SKYPILOT_NODE_RANK", 0, p.num_nodes - 1);
    p.master_addr = ips.front();
    p.master_port = env("MASTER_PORT") ? env_int("MASTER_PORT", 1, 65535) : c10d::TCPStoreOptions::kDefaultPort;
  } else if (env("MASTER_PORT")) {
    p.master_port = env_int("MASTER_PORT", 1, 65535);
  }
  if (nproc_flag > 0) {
    p.nproc_per_node = nproc_flag;
  } else if (env("SKYPILOT_NUM_GPUS_PER_NODE") && env_int("SKYPILOT_NUM_GPUS_PER_NODE", 0, 1 << 10) > 0 && cuda_devices > 0) {
    p.nproc_per_node = env_int("SKYPILOT_NUM_GPUS_PER_NODE", 0, 1 << 10);
  } else {
    p.nproc_per_node = std::max(1, cuda_devices);
  }
  if (cuda_devices > 0 && p.nproc_per_node > cuda_devices)
    fail("--nproc-per-node {} exceeds the {} CUDA device(s) libtorch sees on this node", p.nproc_per_node, cuda_devices);
  return p;
}

// ---- The process group ----------------------------------------------------------------------

class ProcessGroup::Impl {
 public:
  Impl(const RankEnv& e, std::chrono::seconds timeout) : env_(e), timeout_(timeout), last_hb_(static_cast<size_t>(e.world), -1),
                                                          last_change_(static_cast<size_t>(e.world), Clock::now()) {}

  ~Impl() { stop(); }

  void start(const c10::intrusive_ptr<c10d::Store>& monitor_store) {
    monitor_store_ = monitor_store;
    thread_ = std::thread([this] { loop(); });
  }

  void stop() {
    {
      std::lock_guard l(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Why a collective failed, in terms of ranks: a failure record, a heartbeat that stopped, or
  // the store's host gone. Waits a few heartbeats for the evidence to show.
  std::string diagnose(const std::string& what) {
    const auto deadline = Clock::now() + std::min<std::chrono::seconds>(timeout_, std::chrono::seconds(15));
    while (Clock::now() < deadline) {
      std::string culprit;
      {
        std::lock_guard l(mu_);
        culprit = culprit_;
      }
      if (!culprit.empty()) return culprit + " (" + what + ")";
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return fmt::format("rank {}: {} (no rank recorded a failure and every heartbeat is alive: a rank is hung or the network between "
                       "nodes is down; --dist-timeout {}s)",
                       env_.rank, what, timeout_.count());
  }

  c10::intrusive_ptr<c10d::Store> store_, monitor_store_;
  c10::intrusive_ptr<c10d::Backend> backend_;
  RankEnv env_;

 private:
  void loop() {
    int store_failures = 0;
    const auto stale_for_diagnosis = std::chrono::seconds(5);
    for (;;) {
      std::string verdict;
      bool fatal = false;
      try {
        monitor_store_->add(hb_key(env_.rank), 1);
        if (monitor_store_->add("failed", 0) > 0) {
          for (int r = 0; r < env_.world && verdict.empty(); ++r) {
            if (r == env_.rank || !monitor_store_->check({failed_key(r)})) continue;
            const auto v = monitor_store_->get(failed_key(r));
                verdict = fmt::format("rank {} failed: {}", r, std::string(v.begin(), v.end()));
            fatal = true;
          }
        }
        for (int r = 0; r < env_.world && verdict.empty(); ++r) {
          if (r == env_.rank) continue;
          const int64_t v = monitor_store_->add(hb_key(r), 0);
          const auto now = Clock::now();
          auto& last = last_hb_[static_cast<size_t>(r)];
          if (v != last) {
            last = v;
            last_change_[static_cast<size_t>(r)] = now;
            continue;
          }
          const auto stale = now - last_change_[static_cast<size_t>(r)];
          if (v <= 0 && stale < timeout_) continue;  // not started yet: rendezvous has its own timeout
          if (stale >= stale_for_diagnosis) {
            verdict = fmt::format("rank {} stopped: no heartbeat for {} s (killed, crashed or its node is down)", r,
                                  std::chrono::duration_cast<std::chrono::seconds>(stale).count());
            fatal = stale >= timeout_;
          }
        }
        store_failures = 0;
      } catch (const std::exception& x) {
        verdict = fmt::format("the rendezvous store at {}:{} stopped answering ({}): {} has failed", env_.master_addr, env_.master_port,
                              error_text(x), env_.external_store ? "the launcher of node 0" : "rank 0");
        // Twice in a row: a store hosted by rank 0 goes away when rank 0 exits normally, which
        // may be a moment before this rank has stopped its monitor after the final barrier.
        fatal = ++store_failures >= 2;
      }
      {
        std::unique_lock l(mu_);
        if (stopping_) return;
        culprit_ = verdict;
        if (fatal) {
          log::error("skytrain-train rank {}: stopping: {}", env_.rank, verdict);
          std::_Exit(1);  // the training thread may be blocked in a collective for --dist-timeout
        }
        cv_.wait_for(l, std::chrono::seconds(1), [&] { return stopping_; });
        if (stopping_) return;
      }
    }
  }

  std::chrono::seconds timeout_;
  std::vector<int64_t> last_hb_;
  std::vector<Clock::time_point> last_change_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string culprit_;
  std::thread thread_;
};

ProcessGroup::ProcessGroup(RankEnv env) : env_(std::move(env)) {}
ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::connect(const RankEnv& e, torch::Device device, std::chrono::seconds timeout) {
  std::unique_ptr<ProcessGroup> pg(new ProcessGroup(e));
  pg->impl_ = std::make_unique<Impl>(e, timeout);
  auto& impl = *pg->impl_;
  const bool host = e.rank == 0 && !e.external_store;
  impl.store_ = connect_store(e, host, timeout);
  // The monitor gets its own connection: a client is one socket, and the training thread's
  // store calls must not wait behind heartbeats.
  impl.start(connect_store(e, false, timeout));
  auto pg_store = c10::make_intrusive<c10d::PrefixStore>("pg/", impl.store_);
  try {
    if (device.is_cuda()) {
      impl.backend_ = make_nccl_backend(pg_store, e.rank, e.world, device, timeout);
    } else {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      if (const char* ifname = env("GLOO_SOCKET_IFNAME")) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(local_address_towards(e.master_addr, e.master_port)));
      }
      impl.backend_ = c10::make_intrusive<c10d::ProcessGroupGloo>(pg_store, e.rank, e.world, opts);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& x) {
    throw PeerFailure(impl.diagnose(fmt::format("rank {}: joining the {} process group failed: {}", e.rank, device.is_cuda() ? "NCCL" : "Gloo",
                                         error_text(x))));
  }
  return pg;
}

void ProcessGroup::all_reduce_sum(torch::Tensor& t) {
  std::vector<at::Tensor> v{t};
  try {
    impl_->backend_->allreduce(v)->wait();
  } catch (const std::exception& x) {
    throw PeerFailure(impl_->diagnose(fmt::format("rank {}: all-reduce failed: {}", env_.rank, error_text(x))));
  }
}

int64_t ProcessGroup::broadcast_from_main(int64_t v) {
  auto device = impl_->backend_->getBackendName() == "nccl" ? torch::Device(torch::kCUDA, env_.local_rank) : torch::Device(torch::kCPU);
  std::vector<at::Tensor> t{torch::full({1}, v, torch::TensorOptions().dtype(torch::kLong).device(device))};
  try {
    impl_->backend_->broadcast(t)->wait();
  } catch (const std::exception& x) {
    throw PeerFailure(impl_->diagnose(fmt::format("rank {}: broadcast failed: {}", env_.rank, error_text(x))));
  }
  return t[0].item<int64_t>();
}

void ProcessGroup::barrier() {
  try {
    impl_->backend_->barrier()->wait();
  } catch (const std::exception& x) {
    throw PeerFailure(impl_->diagnose(fmt::format("rank {}: barrier failed: {}", env_.rank, error_text(x))));
  }
}

void ProcessGroup::report_failure(const std::string& why) noexcept {
  try {
    impl_->store_->set(failed_key(env_.rank), std::vector<uint8_t>(why.begin(), why.end()));
    impl_->store_->add("failed", 1);
  } catch (...) {  // the store may be what failed
  }
}

void ProcessGroup::stop_monitor() { impl_->stop(); }

}  // namespace skytrain::trainer
