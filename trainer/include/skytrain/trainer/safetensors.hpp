// safetensors: the weight format every Hugging Face model ships in, read and written here
// without libtorch so that the format rules live in one place and are testable on their own.
//
// Layout: u64 little-endian header length N, then N bytes of JSON
// {"__metadata__":{...}, "<name>":{"dtype":"BF16","shape":[..],"data_offsets":[begin,end]}, ...},
// then the data section; offsets are relative to the start of the data section. The writer pads
// the header with spaces to a multiple of 8 bytes (so every tensor stays 8-byte aligned in a
// mapped file) and writes `"__metadata__":{"format":"pt"}` first, as the Python library does,
// so transformers and vLLM accept our files.
//
// Validation is strict because a half-uploaded or corrupt file must be an error that names the
// file and the byte offset, not a crash or silent garbage: header length within the file, JSON
// that parses, known dtypes, non-negative shapes, data_offsets that tile the data section in
// order without gaps or overlaps, byte sizes equal to numel * dtype size, and a data section
// that ends exactly at the end of the file.
//
// Reading uses pread in large chunks (64 MiB) straight into the destination buffer rather than
// mmap: base weights usually sit on the FUSE mount, where mmap page faults turn into 4 KiB reads
// while large sequential preads let the mount's readahead stream the object.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "skytrain/common/unique_fd.hpp"

namespace skytrain::trainer {

enum class DType { BF16, F16, F32 };

size_t dtype_size(DType d);
std::string_view dtype_name(DType d);
// Throws naming `for_errors` for dtypes we do not handle (I8, F64, ...).
DType parse_dtype(std::string_view name, std::string_view for_errors);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // relative to the data section
  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

class SafetensorsFile {
 public:
  // Opens and validates the header against the file; does not read tensor data.
  explicit SafetensorsFile(const std::filesystem::path& file);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in data order
  const TensorInfo* find(std::string_view name) const;
  const TensorInfo& at(std::string_view name) const;  // throws naming the file and key
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  uint64_t data_start() const { return data_start_; }
  uint64_t file_size() const { return file_size_; }

  // Reads the tensor's bytes into dst (dst.size() == t.nbytes()) with large preads.
  void read(const TensorInfo& t, std::span<uint8_t> dst) const;
  std::vector<uint8_t> read(const TensorInfo& t) const;

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  uint64_t data_start_ = 0, file_size_ = 0;
};

// One tensor to write: its bytes are borrowed, not copied.
struct TensorBytes {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::span<const uint8_t> data;
};

// The header bytes (length prefix included) for tensors laid out in the given order.
std::string safetensors_header(std::span<const TensorBytes> tensors,
                               const std::map<std::string, std::string>& metadata = {{"format", "pt"}});
// Writes a complete file atomically (temp name, fsync, rename): in the given order.
void write_safetensors(const std::filesystem::path& file, std::span<const TensorBytes> tensors,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// A model's weights: either one model.safetensors or shards listed by model.safetensors.index.json
// ({"metadata":{"total_size":N},"weight_map":{name:file}}). Checks that every name in the index
// is in the file it names and that no tensor appears twice.
class SafetensorsModel {
 public:
  explicit SafetensorsModel(const std::filesystem::path& model_dir);
  const std::vector<SafetensorsFile>& files() const { return files_; }
  // The file holding `name`, or nullptr.
  const SafetensorsFile* file_of(std::string_view name) const;
  const TensorInfo* find(std::string_view name) const;
  std::vector<std::string> names() const;
  bool sharded() const { return sharded_; }

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, size_t, std::less<>> where_;
  bool sharded_ = false;
};

}  // namespace skytrain::trainer
