// skytrain-generate's engine: load a model (and adapter), render each conversation with the
// model's chat template, encode, generate, decode, print. Kept free of libtorch headers so the
// command-line tool compiles quickly.
#pragma once
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace skytrain::trainer {

struct ChatGenerateOptions {
  std::filesystem::path model_dir;
  std::filesystem::path adapter;       // empty: none
  std::vector<std::string> inputs;     // JSON message arrays, or plain texts with `raw`
  bool raw = false;                    // no chat template
  bool jsonl = false;                  // {"prompt", "completion", "tokens"} lines
  int64_t max_new_tokens = 256;
  double temperature = 0.0;
  double top_p = 1.0;
  uint64_t seed = 0;
  std::string device = "auto";
  int threads = 0;
};

void run_chat_generation(const ChatGenerateOptions& o, std::ostream& out);

}  // namespace skytrain::trainer
