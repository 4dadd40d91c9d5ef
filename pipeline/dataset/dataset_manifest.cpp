#include "dataset_manifest.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/stage_manifest.hpp"

namespace skytrain::pipeline::dataset {

std::string shard_file_name(uint64_t index) { return fmt::format("{:05d}/data.jsonl", index); }

std::string render_dataset_manifest(const std::string& stage, const DatasetImportOptions& opt, const DatasetSource& src,
                                    const std::string& fingerprint, const std::vector<ShardFileInfo>& shards,
                                    const std::string& schema, const std::string& raw_manifest_sha256) {
  JsonWriter w(true);
  w.begin_object();
  w.key("stage").value(stage);
  w.key("dataset").value(opt.name);
  w.key("tool").value("skytrain-import-dataset");
  w.key("version").value(kSkytrainVersion);
  w.key("fingerprint").value(fingerprint);
  w.key("source").begin_object();
  w.key("kind").value(src.is_hub ? "hub" : "local");
  w.key("id").value(src.id);
  if (src.is_hub) w.key("revision").value(src.revision);
  w.key("files").begin_array();
  for (auto& f : src.files) {
    w.begin_object();
    w.key("path").value(f.rel);
    w.key("size").value(f.size);
    w.key("sha256").value(f.sha256);
    w.key("format").value(format_name(f.format));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.key("options").begin_object();
  w.key("shard_size").value(opt.shard_size);
  w.key("skip_bad_rows").value(opt.skip_bad_rows);
  w.key("config").value(opt.selection.config);
  w.key("split").value(opt.selection.split);
  w.key("data_files").begin_array();
  for (auto& p : opt.selection.patterns) w.value(p);
  w.end_array();
  w.end_object();
  if (!schema.empty()) w.key("schema").value(schema);
  if (!raw_manifest_sha256.empty()) w.key("raw_manifest_sha256").value(raw_manifest_sha256);
  uint64_t rows = 0, skipped = 0;
  for (auto& s : shards) rows += s.rows, skipped += s.skipped;
  w.key("rows").value(rows);
  w.key("skipped_rows").value(skipped);
  w.key("shard_count").value(static_cast<uint64_t>(shards.size()));
  w.key("shards").begin_array();
  for (size_t i = 0; i < shards.size(); ++i) {
    w.begin_object();
    w.key("index").value(static_cast<uint64_t>(i));
    w.key("path").value(shard_file_name(i));
    w.key("rows").value(shards[i].rows);
    w.key("skipped_rows").value(shards[i].skipped);
    w.key("bytes").value(shards[i].bytes);
    w.key("sha256").value(shards[i].sha256);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  std::string text = w.take();
  text += '\n';
  return text;
}

bool dataset_manifest_complete(const std::filesystem::path& manifest, const std::string& fingerprint) {
  if (!stage_is_done(manifest, fingerprint)) return false;
  try {
    simdjson::padded_string json = read_json_file(manifest);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array shards;
    if (parser.parse(json).get(doc) || doc["shards"].get_array().get(shards)) return false;
    for (simdjson::dom::element s : shards) {
      std::string_view path;
      uint64_t bytes = 0;
      if (s["path"].get_string().get(path) || s["bytes"].get_uint64().get(bytes)) return false;
      std::error_code ec;
      auto size = std::filesystem::file_size(manifest.parent_path() / std::string(path), ec);
      if (ec || size != bytes) return false;
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace skytrain::pipeline::dataset
