// The training examples: every pretokenized shard of model-ready/{model}/{dataset}/, checked
// against the model's tokenizer, and the batching plan over them.
//
// An epoch is a seeded shuffle of all examples of all shards (one continuous stream, so the LR
// schedule spans the whole dataset rather than restarting per shard as the seed's script did).
// Examples longer than max_seq_len are truncated; examples left without a single trained label
// are dropped (they would contribute nothing but padding). Batches are padding-aware: a
// micro-batch is padded to its longest row, not to max_seq_len. With packing, rows are filled
// greedily with consecutive examples up to max_seq_len; positions restart at 0 for every
// example and a document id per token keeps attention inside each example.
//
// Labels are the next token (shifted by one inside each example) where the NEXT token's loss
// mask is 1, else -100; so the loss is the mean cross-entropy of predicting exactly the trained
// tokens. The plan depends only on (seed, epoch, shapes), so a resumed run rebuilds the same
// plan and continues at the saved micro-batch.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "skytrain/pipeline/token_shard.hpp"

namespace skytrain::trainer {

inline constexpr int64_t kIgnoreLabel = -100;

struct ExampleRef {
  uint32_t shard = 0;
  uint64_t index = 0;   // within the shard
  uint32_t length = 0;  // after truncation
  uint32_t trained = 0; // labels it yields (loss mask 1 at positions 1..length-1)
};

class TrainingData {
 public:
  // dir holds tokens.bin shards: those listed under "shards" in dir/manifest.json (as
  // skytrain-pretokenize writes it), else dir/tokens.bin and dir/*/tokens.bin. Every shard's tokenizer
  // hash must equal expected_tokenizer_sha256 (the model's tokenizer.json); empty = no check.
  TrainingData(const std::filesystem::path& dir, const std::string& expected_tokenizer_sha256, int64_t max_seq_len);

  const std::vector<ExampleRef>& examples() const { return examples_; }
  pipeline::ExampleView view(const ExampleRef& e) const;
  size_t num_shards() const { return shards_.size(); }
  uint64_t dropped() const { return dropped_; }
  uint64_t truncated() const { return truncated_; }
  uint64_t trained_tokens() const { return trained_tokens_; }

 private:
  std::vector<pipeline::TokenShardReader> shards_;
  std::vector<ExampleRef> examples_;
  uint64_t dropped_ = 0, truncated_ = 0, trained_tokens_ = 0;
};

// A row: example indices (into TrainingData::examples()); one example unless packing.
using Row = std::vector<uint32_t>;

// A micro-batch: up to batch_size rows.
struct MicroBatch {
  std::vector<Row> rows;
};

// The epoch's rows in training order. This stream is what every rank agrees on: an optimizer
// step consumes the next (batch x grad-accum x world size) rows of it, whatever the split.
std::vector<Row> plan_epoch_rows(const TrainingData& data, uint64_t seed, int64_t epoch, bool packing, int64_t max_seq_len);

// plan_epoch_rows cut into micro-batches of batch_size rows (the single-process view).
std::vector<MicroBatch> plan_epoch(const TrainingData& data, uint64_t seed, int64_t epoch, int64_t batch_size, bool packing,
                                   int64_t max_seq_len);

// Labels (trained tokens) in rows [begin, end): known to every rank without communication, so
// each rank can normalise its loss by the whole global step's count before backward.
int64_t trained_labels(const TrainingData& data, const std::vector<Row>& rows, size_t begin, size_t end);

// Rank `rank`'s share of a global step holding `n` rows: a contiguous range, sizes differing by
// at most one (a full step gives every rank batch x grad-accum rows). The ranges are disjoint
// and cover [0, n); with world 1 it is all of them, in order.
struct RowRange {
  size_t begin = 0, end = 0;
};
RowRange rank_share(size_t n, int rank, int world);

// Host-side batch arrays, row-major [B, T].
struct HostBatch {
  int64_t B = 0, T = 0;
  std::vector<int64_t> ids, positions, labels, doc_ids;  // doc_ids empty unless packing
  int64_t num_labels = 0;  // labels != -100
  int64_t num_tokens = 0;  // real (non-pad) tokens
};

HostBatch collate(const TrainingData& data, const MicroBatch& mb, bool packing, int64_t pad_id);

}  // namespace skytrain::trainer
