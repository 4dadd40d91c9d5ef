// Implementation notes: schema detection uses simdjson's DOM (a handful of rows); the per-row
// rewrite walks the (already validated) row with JsonCursor so that kept columns and message
// contents are copied as their upstream JSON text, never re-serialized (numbers keep their
// exact spelling).
#include "standardize.hpp"

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "json_cursor.hpp"
#include "skytrain/common/json_writer.hpp"
#include "row_reader.hpp"

namespace skytrain::pipeline::dataset {

std::string ConversationSchema::describe() const {
  switch (style) {
    case ConversationStyle::sharegpt:
      return fmt::format("ShareGPT (column {:?}, role key {:?}, content key {:?})", column, role_key, content_key);
    case ConversationStyle::openai_messages:
      return fmt::format("OpenAI messages (column {:?}, role key {:?}, content key {:?})", column, role_key, content_key);
    case ConversationStyle::alpaca:
      return "Alpaca (instruction/input/output)";
  }
  return "?";
}

std::string_view map_role(std::string_view r) {
  if (r == "system") return "system";
  if (r == "user" || r == "human" || r == "input") return "user";
  if (r == "gpt" || r == "assistant" || r == "output") return "assistant";
  return {};
}

namespace {

std::string column_list(simdjson::dom::object o) {
  std::string s;
  for (auto field : o) {
    if (!s.empty()) s += ", ";
    s += std::string(field.key);
  }
  return s.empty() ? "(none)" : s;
}

}  // namespace

ConversationSchema detect_conversation_schema(const std::vector<std::string>& first_rows, std::string_view where) {
  ConversationSchema schema;
  if (first_rows.empty()) {
    schema.column = "conversations";
    schema.role_key = "from";
    schema.content_key = "value";
    return schema;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element first;
  if (parser.parse(first_rows[0]).get(first) || !first.is_object())
    fail("{}: the first row is not a JSON object", where);
  simdjson::dom::object obj;
  if (first.get_object().get(obj)) fail("{}: the first row is not a JSON object", where);
  simdjson::dom::element col;
  if (!obj["conversations"].get(col) && col.is_array()) {
    schema.style = ConversationStyle::sharegpt;
    schema.column = "conversations";
  } else if (!obj["messages"].get(col) && col.is_array()) {
    schema.style = ConversationStyle::openai_messages;
    schema.column = "messages";
  } else if (!obj["instruction"].get(col) && !obj["output"].get(col)) {
    schema.style = ConversationStyle::alpaca;
    schema.column = "instruction";
    return schema;
  } else {
    fail("{}: missing conversations column: expected 'conversations' (ShareGPT), 'messages' (OpenAI) or "
         "'instruction'+'output' (Alpaca) holding a list, but the columns are: {}",
         where, column_list(obj));
  }
  // Distinct values per message key over the first rows (at most 10, like unsloth).
  std::vector<std::string> keys;  // first-seen order
  std::map<std::string, std::set<std::string>> distinct;
  size_t n = std::min<size_t>(first_rows.size(), 10);
  for (size_t i = 0; i < n; ++i) {
    simdjson::dom::element row, msgs;
    if (parser.parse(first_rows[i]).get(row) || row[schema.column].get(msgs) || !msgs.is_array()) continue;
    simdjson::dom::array msg_array;
    if (msgs.get_array().get(msg_array)) continue;
    for (simdjson::dom::element m : msg_array) {
      simdjson::dom::object mo;
      if (m.get_object().get(mo)) continue;
      for (auto field : mo) {
        std::string k(field.key);
        if (!distinct.count(k)) keys.push_back(k);
        distinct[k].insert(simdjson::to_string(field.value));
      }
    }
  }
  auto has = [&](const char* k) { return distinct.count(k) > 0; };
  if (keys.empty()) {
    schema.role_key = schema.style == ConversationStyle::sharegpt ? "from" : "role";
    schema.content_key = schema.style == ConversationStyle::sharegpt ? "value" : "content";
  } else if (keys.size() == 2) {
    size_t a = distinct[keys[0]].size(), b = distinct[keys[1]].size();
    if (a < b) {
      schema.role_key = keys[0], schema.content_key = keys[1];
    } else if (b < a) {
      schema.role_key = keys[1], schema.content_key = keys[0];
    } else if (keys[0] == "from" || keys[0] == "role") {
      schema.role_key = keys[0], schema.content_key = keys[1];
    } else {
      schema.role_key = keys[1], schema.content_key = keys[0];
    }
  } else if (has("from") && has("value")) {
    schema.role_key = "from", schema.content_key = "value";
  } else if (has("role") && has("content")) {
    schema.role_key = "role", schema.content_key = "content";
  } else {
    std::string list;
    for (auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    fail("{}: cannot tell the role key of the {:?} messages: their keys are {} (expected two keys, or from/value, "
         "or role/content)",
         where, schema.column, list);
  }
  return schema;
}

struct Standardizer::Impl {
  ConversationSchema schema;
  std::string scratch;
};

Standardizer::Standardizer(ConversationSchema schema) : impl_(std::make_unique<Impl>()) { impl_->schema = std::move(schema); }
Standardizer::~Standardizer() = default;
Standardizer::Standardizer(Standardizer&&) noexcept = default;
Standardizer& Standardizer::operator=(Standardizer&&) noexcept = default;

namespace {

void append_message(std::string& out, bool& first, std::string_view role, std::string_view content_json) {
  out += first ? "{\"role\":" : ",{\"role\":";
  first = false;
  json_escape_to(out, role);
  out += ",\"content\":";
  out += content_json;
  out += '}';
}

// Key token -> key text (keys rarely carry escapes; unescape only when they do).
std::string_view key_text(std::string_view token, std::string& buf) {
  if (token.find('\\') == std::string_view::npos) return token.substr(1, token.size() - 2);
  buf = JsonCursor::unescape(token);
  return buf;
}

void append_conversation(std::string& out, std::string_view value, const ConversationSchema& s, std::string& scratch) {
  if (value.empty() || value[0] != '[') throw BadRow(fmt::format("column {:?} is not a list of messages", s.column));
  out += "\"conversations\":[";
  JsonCursor c(value);
  c.expect('[');
  bool first = true;
  size_t index = 0;
  std::string keybuf;
  if (!c.accept(']')) {
    do {
      if (c.peek() != '{') throw BadRow(fmt::format("message {} of column {:?} is not an object", index, s.column));
      c.expect('{');
      std::string role;
      bool have_role = false, have_content = false;
      scratch.clear();
      if (!c.accept('}')) {
        do {
          std::string_view key = key_text(c.string_token(), keybuf);
          c.expect(':');
          std::string_view v = c.value_token();
          if (key == s.role_key) {
            if (v.empty() || v[0] != '"')
              throw BadRow(fmt::format("message {}: role key {:?} is not a string", index, s.role_key));
            role = JsonCursor::unescape(v);
            have_role = true;
          } else if (key == s.content_key) {
            scratch.clear();  // a repeated key: the last value wins (the role does the same)
            JsonCursor::append_compact(scratch, v);
            have_content = true;
          }
        } while (c.accept(','));
        c.expect('}');
      }
      if (!have_role) throw BadRow(fmt::format("message {} has no role key {:?}", index, s.role_key));
      if (!have_content) throw BadRow(fmt::format("message {} has no content key {:?}", index, s.content_key));
      std::string_view mapped = map_role(role);
      if (mapped.empty())
        throw BadRow(fmt::format(
            "unknown role {:?} in message {} (known: system, user, human, input, gpt, assistant, output)", role, index));
      append_message(out, first, mapped, scratch);
      ++index;
    } while (c.accept(','));
    c.expect(']');
  }
  out += ']';
}

}  // namespace

void Standardizer::standardize(std::string& row, std::string& out) {
  const ConversationSchema& s = impl_->schema;
  size_t out_start = out.size();
  try {
    JsonCursor c(row);
    c.expect('{');
    out += '{';
    bool first = true;
    bool found = false;
    // Alpaca pieces, gathered while the other columns are copied in order.
    std::string instruction, input, output_json, keybuf;
    bool have_instruction = false, have_output = false;
    size_t alpaca_at = std::string::npos;
    if (!c.accept('}')) {
      do {
        std::string_view key_token = c.string_token();
        std::string_view key = key_text(key_token, keybuf);
        c.expect(':');
        std::string_view v = c.value_token();
        if (key == s.column && s.style != ConversationStyle::alpaca) {
          if (!first) out += ',';
          first = false;
          append_conversation(out, v, s, impl_->scratch);
          found = true;
          continue;
        }
        if (s.style == ConversationStyle::openai_messages && key == "conversations") continue;  // replaced
        if (s.style == ConversationStyle::alpaca && (key == "instruction" || key == "input" || key == "output")) {
          if (key == "output") {
            output_json.clear();  // a repeated key: the last value wins, as for the other columns
            JsonCursor::append_compact(output_json, v);
            have_output = true;
          } else if (v == "null" && key == "input") {
            // no input
          } else {
            if (v.empty() || v[0] != '"') throw BadRow(fmt::format("column {:?} is not a string", key));
            (key == "instruction" ? instruction : input) = JsonCursor::unescape(v);
            if (key == "instruction") have_instruction = true;
          }
          if (alpaca_at == std::string::npos) {
            if (!first) out += ',';
            first = false;
            alpaca_at = out.size();  // the conversation goes here, once all three are known
          }
          continue;
        }
        if (!first) out += ',';
        first = false;
        out += key_token;
        out += ':';
        JsonCursor::append_compact(out, v);
      } while (c.accept(','));
      c.expect('}');
    }
    if (!c.at_end()) throw BadRow("trailing content after the row's JSON object");
    if (s.style == ConversationStyle::alpaca) {
      if (!have_instruction || !have_output) throw BadRow("missing conversations column: no 'instruction' and 'output'");
      std::string conv = "\"conversations\":[";
      bool f = true;
      std::string user_json;
      json_escape_to(user_json, input.empty() ? instruction : instruction + "\n\n" + input);
      append_message(conv, f, "user", user_json);
      append_message(conv, f, "assistant", output_json);
      conv += ']';
      out.insert(alpaca_at, conv);
      found = true;
    }
    if (!found) throw BadRow(fmt::format("missing conversations column {:?}", s.column));
    out += '}';
  } catch (...) {
    out.resize(out_start);
    throw;
  }
}

}  // namespace skytrain::pipeline::dataset
