// One all-reduce of the LoRA gradient bucket, as skytrain-train sends it once per optimizer
// step: Qwen2.5-0.5B shapes (24 layers, hidden 896, KV 128, intermediate 4864), r=16 on all 7
// targets = 8,798,208 fp32 values (+2 for loss and tokens), 35.2 MB, through the trainer's own
// ProcessGroup (c10d TCPStore + ProcessGroupGloo). Run as one rank of a job (torchrun's
// RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT); rank 0 prints the median and quartiles.
// Usage: trainer-bench-allreduce [ITERATIONS]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "skytrain/trainer/distributed.hpp"

using namespace skytrain::trainer;

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20;
  auto env = rank_env_from_environment();
  if (!env || env->world < 2) {
    fmt::print(stderr, "run as a rank of a job: set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT\n");
    return 2;
  }
  at::set_num_threads(1);
  const int64_t H = 896, KV = 128, I = 4864, r = 16, layers = 24;
  const int64_t per_layer = r * ((H + H) + (H + KV) + (H + KV) + (H + H) + (H + I) + (H + I) + (I + H));
  const int64_t n = layers * per_layer + 2;
  auto pg = ProcessGroup::connect(*env, torch::Device(torch::kCPU), std::chrono::seconds(60));
  torch::Tensor bucket = torch::ones({n});
  std::vector<double> ms;
  for (int i = 0; i < iters + 2; ++i) {
    pg->barrier();
    const auto t0 = std::chrono::steady_clock::now();
    pg->all_reduce_sum(bucket);
    const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i >= 2) ms.push_back(t);  // the first two set up Gloo's pairs and buffers
  }
  pg->barrier();
  pg->stop_monitor();
  std::sort(ms.begin(), ms.end());
  if (pg->is_main())
    fmt::print("all-reduce of {} fp32 ({:.1f} MB) over {} ranks: median {:.1f} ms (quartiles {:.1f}-{:.1f}), {:.2f} GB/s algorithm bandwidth\n",
               n, static_cast<double>(n) * 4 / 1e6, pg->world(), ms[ms.size() / 2], ms[ms.size() / 4], ms[ms.size() * 3 / 4],
               static_cast<double>(n) * 4 / 1e6 / ms[ms.size() / 2]);
  return 0;
}
