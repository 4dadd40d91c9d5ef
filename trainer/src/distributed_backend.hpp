// The NCCL backend lives in its own translation unit (trainer/cuda/distributed_nccl.cpp), built
// only when the torch wheel ships CUDA (it needs the CUDA runtime and NCCL headers of the
// wheel's nvidia-* packages); without them the CUDA device never gets this far.
#pragma once
#include <chrono>

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/types.h>

namespace skytrain::trainer {

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
                                                    torch::Device device, std::chrono::seconds timeout);

}  // namespace skytrain::trainer
