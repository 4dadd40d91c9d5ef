// Shard discovery, tokenizer check, epoch plans and collation; see training_data.hpp.
#include "skytrain/trainer/training_data.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <simdjson.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/log.hpp"

namespace skytrain::trainer {

namespace fs = std::filesystem;

TrainingData::TrainingData(const fs::path& dir, const std::string& expected_sha, int64_t max_seq_len) {
  if (!fs::is_directory(dir)) fail("{}: dataset directory does not exist (run skytrain-pretokenize first)", dir.string());
  std::vector<fs::path> files;
  // skytrain-pretokenize's manifest lists its shards by name: use exactly those. Without that
  // list (hand-made inputs), every dir/*/tokens.bin (and dir/tokens.bin) is a shard.
  const fs::path manifest = dir / "manifest.json";
  simdjson::dom::parser parser;
  simdjson::dom::array listed;
  simdjson::padded_string manifest_text;
  simdjson::dom::element root;
  if (fs::exists(manifest)) {
    manifest_text = read_json_file(manifest);
    if (parser.parse(manifest_text).get(root)) fail("{}: not valid JSON", manifest.string());
  }
  if (fs::exists(manifest) && !root["shards"].get(listed)) {
    for (auto s : listed) {
      std::string_view name;
      if (s["name"].get(name) || name.empty() || name.find("..") != std::string_view::npos)
        fail("{}: \"shards\" entries need a \"name\"", manifest.string());
      const fs::path f = dir / std::string(name) / pipeline::kTokenShardFile;
      if (!fs::exists(f)) fail("{}: listed shard \"{}\" has no {}", manifest.string(), name, pipeline::kTokenShardFile);
      files.push_back(f);
    }
  } else {
    if (fs::exists(dir / pipeline::kTokenShardFile)) files.push_back(dir / pipeline::kTokenShardFile);
    std::vector<fs::path> subdirs;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && fs::exists(e.path() / pipeline::kTokenShardFile)) subdirs.push_back(e.path());
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& d : subdirs) files.push_back(d / pipeline::kTokenShardFile);
  }
  if (files.empty()) fail("{}: no token shards ({} files) found: empty dataset", dir.string(), pipeline::kTokenShardFile);

  for (const auto& f : files) {
    shards_.emplace_back(f);
    const auto& info = shards_.back().info();
    if (!expected_sha.empty() && info.tokenizer_sha256 != expected_sha)
      fail("{}: shard was tokenized with tokenizer sha256 {} but the model's tokenizer.json has sha256 {}: "
           "re-run skytrain-pretokenize for this model",
           f.string(), info.tokenizer_sha256, expected_sha);
  }
  for (uint32_t s = 0; s < shards_.size(); ++s) {
    const auto& shard = shards_[s];
    for (uint64_t i = 0; i < shard.size(); ++i) {
      const auto ex = shard.example(i);
      uint32_t len = static_cast<uint32_t>(ex.ids.size());
      if (len > static_cast<uint64_t>(max_seq_len)) {
        len = static_cast<uint32_t>(max_seq_len);
        ++truncated_;
      }
      uint64_t trained = 0;  // labels: mask of tokens 1..len-1
      for (uint32_t t = 1; t < len; ++t) trained += ex.mask[t] ? 1 : 0;
      if (trained == 0) {
        ++dropped_;
        continue;
      }
      trained_tokens_ += trained;
      examples_.push_back({s, i, len, static_cast<uint32_t>(trained)});
    }
  }
  if (examples_.empty())
    fail("{}: empty dataset: {} shard(s) hold no example with a trained token (loss mask 1) after the first position",
         dir.string(), shards_.size());
  if (dropped_) log::warn("{}: skipped {} example(s) without trained tokens", dir.string(), dropped_);
  if (truncated_) log::warn("{}: truncated {} example(s) to --max-seq-len {}", dir.string(), truncated_, max_seq_len);
}

pipeline::ExampleView TrainingData::view(const ExampleRef& e) const {
  auto v = shards_[e.shard].example(e.index);
  return {v.ids.first(e.length), v.mask.first(e.length)};
}

std::vector<Row> plan_epoch_rows(const TrainingData& data, uint64_t seed, int64_t epoch, bool packing, int64_t max_seq_len) {
  std::vector<uint32_t> order(data.examples().size());
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed * 1000003ull + static_cast<uint64_t>(epoch));
  // Fisher-Yates with our own index draw: std::shuffle's use of the engine is library-specific,
  // and the plan must be identical wherever a run is resumed.
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);

  std::vector<Row> rows;
  if (packing) {
    Row row;
    int64_t used = 0;
    for (uint32_t e : order) {
      const int64_t len = data.examples()[e].length;
      if (!row.empty() && used + len > max_seq_len) {
        rows.push_back(std::move(row));
        row.clear();
        used = 0;
      }
      row.push_back(e);
      used += len;
    }
    if (!row.empty()) rows.push_back(std::move(row));
  } else {
    for (uint32_t e : order) rows.push_back({e});
  }
  return rows;
}

std::vector<MicroBatch> plan_epoch(const TrainingData& data, uint64_t seed, int64_t epoch, int64_t batch_size, bool packing,
                                   int64_t max_seq_len) {
  std::vector<Row> rows = plan_epoch_rows(data, seed, epoch, packing, max_seq_len);
  std::vector<MicroBatch> plan;
  for (size_t i = 0; i < rows.size(); i += static_cast<size_t>(batch_size)) {
    MicroBatch mb;
    for (size_t j = i; j < std::min(rows.size(), i + static_cast<size_t>(batch_size)); ++j) mb.rows.push_back(std::move(rows[j]));
    plan.push_back(std::move(mb));
  }
  return plan;
}

int64_t trained_labels(const TrainingData& data, const std::vector<Row>& rows, size_t begin, size_t end) {
  int64_t n = 0;
  for (size_t i = begin; i < end; ++i)
    for (uint32_t e : rows[i]) n += data.examples()[e].trained;
  return n;
}

RowRange rank_share(size_t n, int rank, int world) {
  const size_t w = static_cast<size_t>(world), r = static_cast<size_t>(rank);
  const size_t base = n / w, extra = n % w;
  const size_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

HostBatch collate(const TrainingData& data, const MicroBatch& mb, bool packing, int64_t pad_id) {
  HostBatch b;
  b.B = static_cast<int64_t>(mb.rows.size());
  for (const auto& row : mb.rows) {
    int64_t len = 0;
    for (uint32_t e : row) len += data.examples()[e].length;
    b.T = std::max(b.T, len);
  }
  const size_t n = static_cast<size_t>(b.B * b.T);
  b.ids.assign(n, pad_id);
  b.labels.assign(n, kIgnoreLabel);
  b.positions.assign(n, 0);
  if (packing) b.doc_ids.assign(n, 0);
  for (size_t r = 0; r < mb.rows.size(); ++r) {
    size_t at = r * static_cast<size_t>(b.T);
    const size_t row_start = at;
    int64_t doc = 0;
    for (uint32_t e : mb.rows[r]) {
      ++doc;
      const auto v = data.view(data.examples()[e]);
      const size_t len = v.ids.size();
      for (size_t t = 0; t < len; ++t) {
        b.ids[at + t] = v.ids[t];
        b.positions[at + t] = static_cast<int64_t>(t);
        if (packing) b.doc_ids[at + t] = doc;
        if (t + 1 < len && v.mask[t + 1]) {
          b.labels[at + t] = v.ids[t + 1];
          ++b.num_labels;
        }
      }
      at += len;
    }
    b.num_tokens += static_cast<int64_t>(at - row_start);
    // Pads keep counting positions so rotary tables stay well defined; they are never attended
    // to by real tokens (causal, right padding) and carry no labels.
    for (size_t t = at, p = at - row_start; t < row_start + static_cast<size_t>(b.T); ++t, ++p) b.positions[t] = static_cast<int64_t>(p);
  }
  return b;
}

}  // namespace skytrain::trainer
