// The bridge between safetensors bytes and torch tensors (both directions), in one place so
// dtype mapping and byte order are decided once. All of our targets are little-endian, as is the
// format, so bytes are copied as they are.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "skytrain/trainer/safetensors.hpp"

namespace skytrain::trainer {

torch::ScalarType to_torch(DType d);
DType from_torch(torch::ScalarType t, std::string_view for_errors);
// Reads one tensor (CPU, in its file dtype) with large preads.
torch::Tensor read_tensor(const SafetensorsFile& f, const TensorInfo& t);
// Writes CPU-contiguous copies of the tensors, in the given order, atomically.
void save_tensors(const std::filesystem::path& file, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace skytrain::trainer
