// skytrain-pretokenize: standardized conversation shards -> token shards with loss masks.
#pragma once
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline {

struct PretokenizeOptions {
  std::filesystem::path root;  // bucket root (the mount, or any directory)
  std::string model;           // hub id: models/{model}/ holds the tokenizer and chat template
  std::string dataset;         // hub id: standardized/{dataset}/ holds the conversations
  uint32_t max_seq_len = 4096;
  int threads = 0;             // 0 = all cores
  size_t batch_size = 1024;    // examples in flight; bounds memory
  bool skip_bad_rows = false;  // count rows whose template raises instead of failing
  // Multi-node: node k of n tokenizes the shards whose index (in name order) is k mod n; a
  // shard's bytes do not depend on which node made it. Node 0 then waits (up to
  // wait_timeout_s) for every shard's shard.json and writes the manifest, once.
  int node_rank = 0, num_nodes = 1;
  int64_t wait_timeout_s = 7200;
  // Bounds on each render (a row past one is an error naming it); they change no output bytes,
  // so they are not part of the stage's fingerprint.
  TemplateLimits template_limits;
};

struct ShardStats {
  uint64_t examples = 0, tokens = 0, trained_tokens = 0, truncated = 0, dropped_no_trained = 0, bad_rows = 0;
  void add(const ShardStats& o);
};

struct PretokenizeResult {
  bool already_done = false;
  size_t shards = 0, shards_reused = 0;  // every shard for node 0; this node's shards otherwise
  bool manifest_written = false;
  ShardStats totals;
  std::filesystem::path output_dir;
};

PretokenizeResult run_pretokenize(const PretokenizeOptions& opts);

// Prints examples of a shard (a directory holding tokens.bin and text.jsonl, or tokens.bin
// itself) as JSON lines {"ids":[...],"mask":[...],"text":"..."}; with `stats`, a summary instead.
void inspect_token_shard(const std::filesystem::path& shard, std::ostream& out, bool stats, uint64_t limit);

}  // namespace skytrain::pipeline
