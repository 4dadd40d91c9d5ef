// Test helper: writes a pretokenized shard with the pipeline's TokenShardWriter from JSON lines
// {"ids":[...],"mask":[...]} on stdin, so shell tests can build model-ready/ inputs without
// depending on the tokenizer and pretokenize stages.
// Usage: trainer-test-write-shard OUT_DIR TOKENIZER_SHA256 [TEMPLATE_SHA256] < examples.jsonl
#include <iostream>
#include <simdjson.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/pipeline/token_shard.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: trainer-test-write-shard OUT_DIR TOKENIZER_SHA256 [TEMPLATE_SHA256] < examples.jsonl\n";
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    skytrain::make_dirs(dir);
    skytrain::pipeline::TokenShardWriter w(dir / skytrain::pipeline::kTokenShardFile, argv[2],
                                           argc > 3 ? argv[3] : std::string(64, '0'));
    simdjson::dom::parser parser;
    std::string line;
    size_t lineno = 0;
    while (std::getline(std::cin, line)) {
      ++lineno;
      if (line.empty()) continue;
      simdjson::dom::element e;
      if (parser.parse(line).get(e)) skytrain::fail("stdin line {}: not JSON", lineno);
      std::vector<uint32_t> ids;
      std::vector<uint8_t> mask;
      for (auto v : e["ids"].get_array()) ids.push_back(static_cast<uint32_t>(int64_t(v)));
      for (auto v : e["mask"].get_array()) mask.push_back(static_cast<uint8_t>(int64_t(v)));
      if (ids.size() != mask.size()) skytrain::fail("stdin line {}: ids and mask differ in length", lineno);
      w.add(ids, mask);
    }
    w.commit();
  } catch (const std::exception& e) {
    std::cerr << "trainer-test-write-shard: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
