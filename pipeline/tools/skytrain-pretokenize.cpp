// skytrain-pretokenize: standardized/{dataset}/ + models/{model}/ -> model-ready/{model}/{dataset}/
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/pretokenize.hpp"
#include "skytrain/pipeline/template_limit_flags.hpp"

int main(int argc, char** argv) {
  using namespace skytrain::pipeline;
  CLI::App app{
      "skytrain-pretokenize: render each standardized conversation with the model's own chat template, tokenize it "
      "and write token shards with loss masks (assistant turns trained) to model-ready/{model}/{dataset}/.\n"
      "Skips all work when model-ready/{model}/{dataset}/manifest.json matches its inputs and options; otherwise "
      "redoes only missing or stale shards."};
  app.require_subcommand(0, 1);
  PretokenizeOptions o;
  std::string root = skytrain::default_root();
  o.model = skytrain::env_or("MODEL_NAME", "");
  o.dataset = skytrain::env_or("DATASET_NAME", "");
  app.add_option("--root", root, "Bucket root: the mount (or any directory); env SKYTRAIN_ROOT")->capture_default_str();
  app.add_option("--model", o.model, "Model id (models/{model}/ holds tokenizer.json and the chat template); env MODEL_NAME")
      ->capture_default_str();
  app.add_option("--dataset", o.dataset, "Dataset id (standardized/{dataset}/); env DATASET_NAME")->capture_default_str();
  app.add_option("--max-seq-len", o.max_seq_len, "Truncate examples to this many tokens")->capture_default_str();
  app.add_option("--threads", o.threads, "Worker threads (0 = all cores)")->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Examples in flight at once (bounds memory)")->capture_default_str();
  // SkyPilot's variables give a multi-node task's defaults; the flags override them.
  for (auto [name, dst] : {std::pair{"SKYPILOT_NUM_NODES", &o.num_nodes}, std::pair{"SKYPILOT_NODE_RANK", &o.node_rank}}) {
    const std::string v = skytrain::env_or(name, "");
    if (v.empty()) continue;
    char* end = nullptr;
    const long x = std::strtol(v.c_str(), &end, 10);
    if (*end || x < 0 || x > 1 << 16) {
      std::cerr << "skytrain-pretokenize: environment variable " << name << "=" << v << " is not a node count/index\n";
      return 2;
    }
    *dst = static_cast<int>(x);
  }
  app.add_option("--num-nodes", o.num_nodes, "Nodes sharing the shards (env SKYPILOT_NUM_NODES); node 0 writes the manifest")
      ->capture_default_str();
  app.add_option("--node-rank", o.node_rank, "This node's index in [0, --num-nodes) (env SKYPILOT_NODE_RANK)")->capture_default_str();
  app.add_option("--wait-timeout", o.wait_timeout_s, "Seconds node 0 waits for the other nodes' shards")->capture_default_str();
  app.add_flag("--skip-bad-rows", o.skip_bad_rows,
               "Skip (and count in the manifest) conversations the template rejects, instead of failing");
  add_template_limit_flags(app, o.template_limits);

  auto* inspect = app.add_subcommand("inspect", "Print a token shard's examples as JSON lines {ids, mask, text}");
  std::string shard;
  bool stats = false;
  uint64_t limit = UINT64_MAX;
  inspect->add_option("SHARD", shard, "Shard directory (holding tokens.bin) or a tokens.bin file")->required();
  inspect->add_flag("--stats", stats, "Print a summary (counts, lengths, trained fraction, hashes) instead");
  inspect->add_option("--limit", limit, "Print at most this many examples");

  if (auto status = skytrain::parse_command_line(app, argc, argv, "skytrain-pretokenize")) return *status;
  try {
    if (*inspect) {
      inspect_token_shard(shard, std::cout, stats, limit);
      return 0;
    }
    if (o.model.empty()) throw skytrain::Error("--model is required (or set MODEL_NAME)");
    if (o.dataset.empty()) throw skytrain::Error("--dataset is required (or set DATASET_NAME)");
    o.root = root;
    PretokenizeResult r = run_pretokenize(o);
    if (!r.already_done && !r.manifest_written) {
      std::cout << "pretokenize: node " << o.node_rank << " of " << o.num_nodes << " wrote its " << r.shards << " shard(s) ("
                << r.shards_reused << " reused) under " << r.output_dir.string() << "\n";
    } else if (r.already_done) {
      std::cout << "pretokenize: nothing to do, " << r.output_dir.string() << " is up to date\n";
    } else {
      std::cout << "pretokenize: wrote " << r.output_dir.string() << ": " << r.shards << " shard(s) (" << r.shards_reused
                << " reused), " << r.totals.examples << " examples, " << r.totals.tokens << " tokens ("
                << r.totals.trained_tokens << " trained), " << r.totals.truncated << " truncated, "
                << r.totals.dropped_no_trained << " dropped without trained tokens, " << r.totals.bad_rows
                << " bad rows skipped\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "skytrain-pretokenize: " << e.what() << "\n";
    return 1;
  }
}
