// Render-throughput body of bench/chat_template.sh: renders each conversation of a JSONL file
// ({"name", "context"} per line) with a model's chat template, one thread and then two, and prints
// one machine-readable line that the script compares with Python jinja2 on the same input.
//   bench-chat-template-render MODEL_DIR CONVERSATIONS.jsonl [ROUNDS]
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "skytrain/pipeline/chat_template.hpp"

using skytrain::pipeline::ChatTemplate;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODEL_DIR CONVERSATIONS.jsonl [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc == 4 ? std::stoi(argv[3]) : 3;
  ChatTemplate tpl = ChatTemplate::from_model_dir(argv[1]);
  simdjson::dom::parser parser;
  std::vector<std::string> contexts;
  std::ifstream in(argv[2]);
  if (!in) throw std::runtime_error(std::string("cannot open ") + argv[2]);
  size_t row = 0;
  for (std::string line; std::getline(in, line);) {
    ++row;
    if (line.empty()) continue;
    simdjson::dom::element context;
    if (parser.parse(line)["context"].get(context))
      throw std::runtime_error(std::string(argv[2]) + " row " + std::to_string(row) + ": no \"context\"");
    contexts.push_back(simdjson::minify(context));
  }
  if (contexts.empty()) throw std::runtime_error(std::string(argv[2]) + ": no conversations");

  auto run = [&](size_t begin, size_t step, size_t& bytes, size_t& raised) {
    for (int r = 0; r < rounds; ++r)
      for (size_t i = begin; i < contexts.size(); i += step) {
        try {
          bytes += tpl.render(contexts[i]).size();
        } catch (const skytrain::pipeline::TemplateRaised&) {
          ++raised;  // raise_exception() in the template: jinja2 raises on the same input
        }
      }
  };
  size_t warm_bytes = 0, warm_raised = 0;
  run(0, 1, warm_bytes, warm_raised);

  size_t bytes = 0, raised = 0;
  auto t0 = std::chrono::steady_clock::now();
  run(0, 1, bytes, raised);
  const double secs = seconds_since(t0);

  constexpr size_t kThreads = 2;
  std::vector<size_t> tbytes(kThreads, 0), traised(kThreads, 0);
  auto t1 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (size_t t = 0; t < kThreads; ++t) pool.emplace_back([&, t] { run(t, kThreads, tbytes[t], traised[t]); });
  for (auto& th : pool) th.join();
  const double secs_mt = seconds_since(t1);

  const double renders = double(contexts.size()) * rounds;
  std::printf("CPP renders=%.0f seconds=%.4f renders_per_s=%.1f output_MB_per_s=%.2f mt2_renders_per_s=%.1f raised=%zu\n",
              renders, secs, renders / secs, double(bytes) / secs / 1e6, renders / secs_mt, raised);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench-chat-template-render: %s\n", e.what());
  return 1;
}
