// safetensors reader/writer; the format and the reasons for its checks are in safetensors.hpp.
#include "skytrain/trainer/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <simdjson.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::trainer {

namespace {
constexpr uint64_t kMaxHeader = 100ull << 20;  // the Python library's own limit
constexpr size_t kReadChunk = 64ull << 20;

uint64_t load_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
}  // namespace

size_t dtype_size(DType d) {
  switch (d) {
    case DType::BF16:
    case DType::F16: return 2;
    case DType::F32: return 4;
  }
  return 0;
}

std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::BF16: return "BF16";
    case DType::F16: return "F16";
    case DType::F32: return "F32";
  }
  return "?";
}

DType parse_dtype(std::string_view name, std::string_view for_errors) {
  if (name == "BF16") return DType::BF16;
  if (name == "F16") return DType::F16;
  if (name == "F32") return DType::F32;
  fail("{}: unsupported dtype \"{}\" (supported: BF16, F16, F32)", for_errors, name);
}

int64_t TensorInfo::numel() const {
  // A zero dimension anywhere makes the product 0 even when the others alone would overflow
  // (the reader accepts [2^32, 2^32, 0]: it holds no bytes); otherwise the reader has checked
  // that the product times the dtype size is the tensor's byte count, so it fits.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& file) : path_(file) {
  fd_ = open_or_fail(file, O_RDONLY);
  struct stat st {};
  if (fstat(fd_.get(), &st) != 0) fail_errno("stat " + file.string());
  file_size_ = static_cast<uint64_t>(st.st_size);
  const std::string where = file.string();
  if (file_size_ < 8) fail("{}: not a safetensors file: {} bytes, shorter than the 8-byte header length", where, file_size_);
  uint8_t len_bytes[8];
  if (pread_full(fd_.get(), len_bytes, 8, 0, file) != 8) fail("{}: cannot read the header length", where);
  const uint64_t n = load_u64_le(len_bytes);
  if (n > kMaxHeader) fail("{}: header length {} at byte 0 exceeds the 100 MiB limit (corrupt file?)", where, n);
  if (n > file_size_ - 8) fail("{}: header length {} at byte 0 runs past the end of the file ({} bytes): truncated or corrupt", where, n, file_size_);
  data_start_ = 8 + n;

  simdjson::padded_string header(n);
  if (pread_full(fd_.get(), header.data(), n, 8, file) != n) fail("{}: short read of the {}-byte header", where, n);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(header).get(root)) fail("{}: header (bytes 8..{}) is not valid JSON: {}", where, 8 + n, simdjson::error_message(err));
  simdjson::dom::object obj;
  if (root.get(obj)) fail("{}: header is not a JSON object", where);

  for (auto [key, value] : obj) {
    std::string name(key);
    if (name == "__metadata__") {
      simdjson::dom::object meta;
      if (value.get(meta)) fail("{}: __metadata__ is not an object", where);
      for (auto [mk, mv] : meta) {
        std::string_view s;
        if (mv.get(s)) fail("{}: __metadata__.{} is not a string", where, std::string_view(mk));
        metadata_[std::string(mk)] = std::string(s);
      }
      continue;
    }
    const std::string ctx = fmt::format("{}: tensor \"{}\"", where, name);
    simdjson::dom::object t;
    if (value.get(t)) fail("{}: entry is not an object", ctx);
    TensorInfo info;
    info.name = name;
    std::string_view dt;
    if (t["dtype"].get(dt)) fail("{}: missing or non-string \"dtype\"", ctx);
    info.dtype = parse_dtype(dt, ctx);
    simdjson::dom::array shape, offs;
    if (t["shape"].get(shape)) fail("{}: missing or non-array \"shape\"", ctx);
    for (auto d : shape) {
      int64_t v;
      if (d.get(v) || v < 0) fail("{}: shape has a non-integer or negative dimension", ctx);
      info.shape.push_back(v);
    }
    if (t["data_offsets"].get(offs) || offs.size() != 2) fail("{}: \"data_offsets\" must be [begin, end]", ctx);
    uint64_t b, e;
    if (offs.at(0).get(b) || offs.at(1).get(e)) fail("{}: data_offsets are not non-negative integers", ctx);
    if (e < b) fail("{}: data_offsets [{}, {}] end before they begin", ctx, b, e);
    info.begin = b;
    info.end = e;
    // numel * size, guarding against overflow from absurd shapes: a product past 2^64 bytes can
    // never match (and must not wrap around to match, as [2^62, 2^62, 16] would in 128 bits).
    unsigned __int128 bytes = dtype_size(info.dtype);
    const bool empty = std::find(info.shape.begin(), info.shape.end(), 0) != info.shape.end();
    for (auto d : info.shape) {
      if (empty || bytes > std::numeric_limits<uint64_t>::max()) break;
      bytes *= static_cast<uint64_t>(d);
    }
    if (empty) bytes = 0;
    if (bytes != static_cast<unsigned __int128>(e - b))
      fail("{}: data_offsets [{}, {}] hold {} bytes but shape and dtype {} need {}", ctx, b, e, e - b, dt,
           static_cast<uint64_t>(std::min<unsigned __int128>(bytes, std::numeric_limits<uint64_t>::max())));
    tensors_.push_back(std::move(info));
  }
  std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  for (const auto& t : tensors_) {
    if (t.begin != pos)
      fail("{}: tensor \"{}\" starts at data offset {} (file byte {}) but the previous tensor ended at {}: offsets must be contiguous",
           where, t.name, t.begin, data_start_ + t.begin, pos);
    pos = t.end;
  }
  if (data_start_ + pos != file_size_)
    fail("{}: tensors end at file byte {} but the file has {} bytes: {}", where, data_start_ + pos, file_size_,
         data_start_ + pos > file_size_ ? "truncated" : "trailing garbage");
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const TensorInfo& SafetensorsFile::at(std::string_view name) const {
  if (auto* t = find(name)) return *t;
  fail("{}: no tensor named \"{}\"", path_.string(), name);
}

void SafetensorsFile::read(const TensorInfo& t, std::span<uint8_t> dst) const {
  if (dst.size() != t.nbytes()) fail("{}: tensor \"{}\": buffer of {} bytes for {} bytes", path_.string(), t.name, dst.size(), t.nbytes());
  size_t done = 0;
  while (done < dst.size()) {
    const size_t want = std::min(kReadChunk, dst.size() - done);
    const size_t got = pread_full(fd_.get(), dst.data() + done, want, data_start_ + t.begin + done, path_);
    if (got != want) fail("{}: tensor \"{}\": file ended at byte {} (truncated while reading)", path_.string(), t.name, data_start_ + t.begin + done + got);
    done += got;
  }
}

std::vector<uint8_t> SafetensorsFile::read(const TensorInfo& t) const {
  std::vector<uint8_t> out(t.nbytes());
  read(t, out);
  return out;
}

std::string safetensors_header(std::span<const TensorBytes> tensors, const std::map<std::string, std::string>& metadata) {
  JsonWriter w;
  w.begin_object();
  if (!metadata.empty()) {
    w.key("__metadata__").begin_object();
    for (const auto& [k, v] : metadata) w.key(k).value(v);
    w.end_object();
  }
  uint64_t pos = 0;
  for (const auto& t : tensors) {
    int64_t numel = 1;
    for (auto d : t.shape) numel *= d;
    if (static_cast<uint64_t>(numel) * dtype_size(t.dtype) != t.data.size())
      fail("safetensors writer: tensor \"{}\" has {} bytes, shape needs {}", t.name, t.data.size(), numel * dtype_size(t.dtype));
    w.key(t.name).begin_object();
    w.key("dtype").value(dtype_name(t.dtype));
    w.key("shape").begin_array();
    for (auto d : t.shape) w.value(d);
    w.end_array();
    w.key("data_offsets").begin_array().value(pos).value(pos + t.data.size()).end_array();
    w.end_object();
    pos += t.data.size();
  }
  w.end_object();
  std::string json = w.take();
  while (json.size() % 8 != 0) json.push_back(' ');
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + json;
}

void write_safetensors(const std::filesystem::path& file, std::span<const TensorBytes> tensors,
                       const std::map<std::string, std::string>& metadata) {
  AtomicFile out(file);
  out.write_back_every(kStreamWriteBackBytes);
  out.write(safetensors_header(tensors, metadata));
  for (const auto& t : tensors) out.write(t.data.data(), t.data.size());
  out.commit();
}

SafetensorsModel::SafetensorsModel(const std::filesystem::path& dir) {
  const auto index = dir / "model.safetensors.index.json";
  const auto single = dir / "model.safetensors";
  if (std::filesystem::exists(index)) {
    sharded_ = true;
    simdjson::dom::parser parser;
    simdjson::padded_string text = read_json_file(index);
    simdjson::dom::element root;
    if (auto err = parser.parse(text).get(root)) fail("{}: not valid JSON: {}", index.string(), simdjson::error_message(err));
    simdjson::dom::object wm;
    if (root["weight_map"].get(wm)) fail("{}: missing \"weight_map\" object", index.string());
    std::map<std::string, size_t> file_idx;
    std::vector<std::pair<std::string, std::string>> entries;
    for (auto [k, v] : wm) {
      std::string_view f;
      if (v.get(f)) fail("{}: weight_map[\"{}\"] is not a string", index.string(), std::string_view(k));
      if (f.find('/') != std::string_view::npos || f == ".." || f.empty()) fail("{}: weight_map[\"{}\"] names a path outside the model directory: \"{}\"", index.string(), std::string_view(k), f);
      entries.emplace_back(std::string(k), std::string(f));
      if (!file_idx.count(std::string(f))) {
        file_idx[std::string(f)] = files_.size();
        files_.emplace_back(dir / std::string(f));
      }
    }
    for (const auto& [name, f] : entries) {
      const auto& sf = files_[file_idx[f]];
      if (!sf.find(name)) fail("{}: weight_map says \"{}\" is in {} but that file has no such tensor", index.string(), name, f);
      where_[name] = file_idx[f];
    }
    for (size_t i = 0; i < files_.size(); ++i)
      for (const auto& t : files_[i].tensors())
        if (!where_.count(t.name)) fail("{}: tensor \"{}\" in {} is missing from the index's weight_map", index.string(), t.name, files_[i].path().filename().string());
  } else if (std::filesystem::exists(single)) {
    files_.emplace_back(single);
    for (const auto& t : files_[0].tensors()) where_[t.name] = 0;
  } else {
    fail("{}: no model.safetensors or model.safetensors.index.json (only safetensors weights are supported)", dir.string());
  }
}

const SafetensorsFile* SafetensorsModel::file_of(std::string_view name) const {
  auto it = where_.find(name);
  return it == where_.end() ? nullptr : &files_[it->second];
}

const TensorInfo* SafetensorsModel::find(std::string_view name) const {
  auto* f = file_of(name);
  return f ? f->find(name) : nullptr;
}

std::vector<std::string> SafetensorsModel::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : where_) out.push_back(k);
  return out;
}

}  // namespace skytrain::trainer
