// Data parallelism: skytrain-train as one rank of a job, on libtorch's c10d.
//
// Rendezvous is c10d's TCPStore; the collectives are ProcessGroupGloo's on CPU and
// ProcessGroupNCCL's on CUDA. Nothing here moves tensor bytes itself. Who hosts the store:
// the launcher (`--nproc-per-node`, or SkyPilot's environment) on node 0, like torchrun's agent,
// so the store outlives any one rank and the survivors can still learn who failed; torchrun's
// own agent store when torchrun launched us (TORCHELASTIC_USE_AGENT_STORE); otherwise rank 0.
//
// The training loop needs three things from this file, once per optimizer step at most:
// - one SUM all-reduce of a flat fp32 bucket: every LoRA gradient plus the step's loss and
//   token count (so the logged loss costs no extra round trip). LoRA gradients are small
//   (Qwen2.5-0.5B, r=16, 7 targets: 8.8 M floats, 35 MB), and on CPU the step is seconds while
//   this all-reduce is tens of milliseconds (bench/train_ddp.sh), so it runs after the last
//   micro-batch's backward instead of overlapping with it: overlap would save at most that.
// - broadcasts of rank 0's decisions (done-check, which checkpoint to resume), so ranks that see
//   the bucket through different mounts (and caches) still act as one;
// - a barrier at the end.
//
// Failures. Gloo notices a dead peer's closed sockets at once and a hung one after
// --dist-timeout. To name the rank, every rank runs a monitor thread on its own store
// connection: it bumps a heartbeat counter every second, and a rank that fails with an error
// records "failed/<rank>" = its message in the store before it exits. A monitor that sees a
// failure record, a heartbeat that has not moved for --dist-timeout, or a store that stopped
// answering ends its process with exit status 1 and a message that names the rank and why;
// the collective that failed first does the same from the training thread. So every rank
// exits non-zero within --dist-timeout (plus a step's compute) of another one's death.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "skytrain/common/error.hpp"

namespace skytrain::trainer {

// A collective failed because of another rank (the message names it). This rank did nothing
// wrong, so it does not record a failure of its own.
class PeerFailure : public Error {
 public:
  using Error::Error;
};

// An exception's message for people: c10::Error's what() carries a C++ backtrace.
std::string error_text(const std::exception& e);

// Where this process sits in the job, from the environment (torchrun's or our launcher's).
struct RankEnv {
  int rank = 0, world = 1;
  int local_rank = 0, local_world = 1;
  std::string master_addr;
  int master_port = 0;
  bool external_store = false;   // a launcher or torchrun's agent hosts the TCPStore
  std::string store_prefix;      // keys of this launch (torchrun restarts get their own)
};

// RANK/WORLD_SIZE/LOCAL_RANK/LOCAL_WORLD_SIZE/MASTER_ADDR/MASTER_PORT; nullopt when RANK and
// WORLD_SIZE are unset. Errors name the variable that is missing or malformed.
std::optional<RankEnv> rank_env_from_environment();

// What the launcher should start on this node, from --nproc-per-node and SkyPilot's
// SKYPILOT_NODE_RANK, SKYPILOT_NODE_IPS (first line = master), SKYPILOT_NUM_NODES and
// SKYPILOT_NUM_GPUS_PER_NODE; MASTER_PORT overrides the default port 29500.
struct LaunchPlan {
  int node_rank = 0, num_nodes = 1, nproc_per_node = 1;
  std::string master_addr;  // empty: single node, loopback, free port
  int master_port = 0;
  int world() const { return num_nodes * nproc_per_node; }
};
// nproc_flag: --nproc-per-node (0 = not given); cuda_devices: GPUs libtorch sees.
LaunchPlan launch_plan_from_environment(int nproc_flag, int cuda_devices);

// Starts plan.nproc_per_node copies of this program (argv) as ranks node_rank * nproc + i,
// hosts the TCPStore on node 0, waits for them all and returns the exit status for the job:
// 0, or 1 naming the first rank that failed. Ranks still running a bounded time after another
// one failed are terminated. SIGINT/SIGTERM are forwarded.
int run_launcher(const LaunchPlan& plan, char** argv, std::chrono::seconds dist_timeout);

class ProcessGroup {
 public:
  // Rendezvous and backend: Gloo on CPU (its device bound to the local address that routes
  // to MASTER_ADDR, or GLOO_SOCKET_IFNAME), NCCL on CUDA. Blocks until every rank has joined
  // or dist_timeout passed.
  static std::unique_ptr<ProcessGroup> connect(const RankEnv& env, torch::Device device, std::chrono::seconds dist_timeout);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return env_.rank; }
  int world() const { return env_.world; }
  bool is_main() const { return env_.rank == 0; }

  // In-place SUM over every rank of a contiguous tensor on this rank's device.
  void all_reduce_sum(torch::Tensor& t);
  // Rank 0's value on every rank.
  int64_t broadcast_from_main(int64_t v);
  void barrier();
  // Records why this rank is about to exit with an error, so the others can say it. Best effort.
  void report_failure(const std::string& why) noexcept;
  // After the final barrier: other ranks exiting is no longer a failure.
  void stop_monitor();

  class Impl;

 private:
  explicit ProcessGroup(RankEnv env);
  RankEnv env_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::trainer
