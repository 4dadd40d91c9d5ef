// `skytrain-pretokenize inspect`: shows exactly what the trainer will be fed.
#include <algorithm>
#include <fstream>
#include <ostream>

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/pipeline/pretokenize.hpp"
#include "skytrain/pipeline/token_shard.hpp"

namespace skytrain::pipeline {
namespace stdfs = std::filesystem;

void inspect_token_shard(const stdfs::path& shard, std::ostream& out, bool stats, uint64_t limit) {
  const stdfs::path file = stdfs::is_directory(shard) ? shard / kTokenShardFile : shard;
  TokenShardReader r(file);
  if (stats) {
    uint64_t trained = 0, max_len = 0, min_len = UINT64_MAX;
    for (size_t i = 0; i < r.size(); ++i) {
      auto ex = r.example(i);
      trained += static_cast<uint64_t>(std::count(ex.mask.begin(), ex.mask.end(), uint8_t{1}));
      max_len = std::max<uint64_t>(max_len, ex.ids.size());
      min_len = std::min<uint64_t>(min_len, ex.ids.size());
    }
    JsonWriter w(true);
    w.begin_object().key("file").value(file.string()).key("examples").value(r.info().num_examples);
    w.key("tokens").value(r.info().num_tokens).key("trained_tokens").value(trained);
    w.key("trained_fraction").value(r.info().num_tokens ? double(trained) / double(r.info().num_tokens) : 0.0);
    w.key("min_length").value(r.size() ? min_len : 0).key("max_length").value(max_len);
    w.key("mean_length").value(r.size() ? double(r.info().num_tokens) / double(r.size()) : 0.0);
    w.key("tokenizer_sha256").value(r.info().tokenizer_sha256).key("chat_template_sha256").value(r.info().template_sha256);
    w.end_object();
    out << w.str() << "\n";
    return;
  }
  // The rendered text sits next to the tokens, one JSON line per example in the same order.
  std::ifstream text(file.parent_path() / "text.jsonl");
  std::string line;
  for (size_t i = 0; i < r.size() && i < limit; ++i) {
    auto ex = r.example(i);
    std::string s = "{\"ids\":[";
    for (size_t k = 0; k < ex.ids.size(); ++k) s += (k ? "," : "") + std::to_string(ex.ids[k]);
    s += "],\"mask\":[";
    for (size_t k = 0; k < ex.mask.size(); ++k) s += k ? (ex.mask[k] ? ",1" : ",0") : (ex.mask[k] ? "1" : "0");
    s += "]";
    // text.jsonl lines are {"text":"..."}: splice the value in without re-encoding it.
    if (text && std::getline(text, line) && line.size() > 9 && line.compare(0, 8, "{\"text\":") == 0)
      s += ",\"text\":" + line.substr(8, line.size() - 9);
    s += "}\n";
    out << s;
  }
}

}  // namespace skytrain::pipeline
