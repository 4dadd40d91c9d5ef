#include "import_journal.hpp"

#include <simdjson.h>

#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::pipeline::dataset {

namespace {

void write_info(JsonWriter& w, const ShardFileInfo& i) {
  w.begin_object();
  w.key("rows").value(i.rows);
  w.key("skipped_rows").value(i.skipped);
  w.key("bytes").value(i.bytes);
  w.key("sha256").value(i.sha256);
  w.end_object();
}

bool read_info(simdjson::dom::element e, ShardFileInfo& i) {
  std::string_view sha;
  if (e["rows"].get_uint64().get(i.rows) || e["skipped_rows"].get_uint64().get(i.skipped) ||
      e["bytes"].get_uint64().get(i.bytes) || e["sha256"].get_string().get(sha))
    return false;
  i.sha256 = sha;
  return true;
}

}  // namespace

std::optional<ImportJournal> read_import_journal(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return std::nullopt;
  try {
    simdjson::padded_string json = read_json_file(p);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(json).get(doc)) return std::nullopt;
    ImportJournal j;
    std::string_view fp;
    simdjson::dom::array shards;
    if (doc["fingerprint"].get_string().get(fp) || doc["shards"].get_array().get(shards)) return std::nullopt;
    j.fingerprint = fp;
    for (simdjson::dom::element s : shards) {
      JournalShard js;
      simdjson::dom::element end, raw, std_info;
      if (s["index"].get_uint64().get(js.index) || s["raw"].get(raw) || !read_info(raw, js.raw) ||
          s["standardized"].get(std_info) || !read_info(std_info, js.standardized) || s["end"].get(end) ||
          end["file"].get_uint64().get(js.end.file) || end["position"].get_uint64().get(js.end.position) ||
          end["rows"].get_uint64().get(js.end.rows))
        return std::nullopt;
      j.shards.push_back(std::move(js));
    }
    return j;
  } catch (const std::exception&) {
    return std::nullopt;  // an unreadable journal only costs redoing the work
  }
}

void write_import_journal(const std::filesystem::path& p, const ImportJournal& j) {
  JsonWriter w(true);
  w.begin_object();
  w.key("fingerprint").value(j.fingerprint);
  w.key("shards").begin_array();
  for (auto& s : j.shards) {
    w.begin_object();
    w.key("index").value(s.index);
    w.key("raw");
    write_info(w, s.raw);
    w.key("standardized");
    write_info(w, s.standardized);
    w.key("end").begin_object();
    w.key("file").value(s.end.file);
    w.key("position").value(s.end.position);
    w.key("rows").value(s.end.rows);
    w.end_object();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  std::string text = w.take();
  text += '\n';
  write_file_atomic(p, text);
}

}  // namespace skytrain::pipeline::dataset
