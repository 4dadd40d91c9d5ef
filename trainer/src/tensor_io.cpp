// safetensors <-> torch tensors; see tensor_io.hpp.
#include "skytrain/trainer/tensor_io.hpp"

#include "skytrain/common/error.hpp"

namespace skytrain::trainer {

torch::ScalarType to_torch(DType d) {
  switch (d) {
    case DType::BF16: return torch::kBFloat16;
    case DType::F16: return torch::kHalf;
    case DType::F32: return torch::kFloat;
  }
  return torch::kFloat;
}

DType from_torch(torch::ScalarType t, std::string_view for_errors) {
  if (t == torch::kBFloat16) return DType::BF16;
  if (t == torch::kHalf) return DType::F16;
  if (t == torch::kFloat) return DType::F32;
  fail("{}: cannot store dtype {} in safetensors here (BF16, F16, F32 only)", for_errors, c10::toString(t));
}

torch::Tensor read_tensor(const SafetensorsFile& f, const TensorInfo& t) {
  torch::Tensor out = torch::empty(t.shape, torch::TensorOptions().dtype(to_torch(t.dtype)));
  f.read(t, std::span<uint8_t>(static_cast<uint8_t*>(out.data_ptr()), t.nbytes()));
  return out;
}

void save_tensors(const std::filesystem::path& file, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> keep;  // CPU contiguous copies that own the bytes until written
  std::vector<TensorBytes> items;
  keep.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    keep.push_back(t.detach().to(torch::kCPU).contiguous());
    const auto& c = keep.back();
    TensorBytes b;
    b.name = name;
    b.dtype = from_torch(c.scalar_type(), name);
    b.shape.assign(c.sizes().begin(), c.sizes().end());
    b.data = std::span<const uint8_t>(static_cast<const uint8_t*>(c.data_ptr()), c.numel() * c.element_size());
    items.push_back(std::move(b));
  }
  write_safetensors(file, items, metadata);
}

}  // namespace skytrain::trainer
