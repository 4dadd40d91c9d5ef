// Standardization of chat datasets to {"conversations":[{"role","content"}...], other columns}.
//
// Three upstream shapes are accepted, decided once per dataset from its first rows:
//  - ShareGPT: a `conversations` column of message objects with two keys (usually from/value).
//    As in unsloth's standardize_sharegpt, the role key is the key with FEWER distinct values
//    over the first 10 rows (the content key varies more). One deviation: on a tie (tiny
//    datasets) a key named `from` or `role` is the role key, where unsloth picks the second key.
//    Messages with more than two keys need a known pair (from/value or role/content).
//  - OpenAI: a `messages` column of {role, content} objects (renamed to `conversations`).
//  - Alpaca: `instruction`, optional `input`, `output` columns become a user turn (instruction,
//    plus "\n\n" + input when input is not empty) and an assistant turn (output).
// Roles map system -> system; user|human|input -> user; gpt|assistant|output -> assistant; any
// other role is a bad row. Other columns are kept in their upstream order and JSON text (only
// insignificant whitespace removed); the conversations column takes the place of the column it
// came from. Message keys other than role/content are dropped.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::dataset {

// A row that cannot be standardized; the message has no location (the caller adds shard/row).
class BadRow : public Error {
 public:
  using Error::Error;
};

enum class ConversationStyle { sharegpt, openai_messages, alpaca };

struct ConversationSchema {
  ConversationStyle style = ConversationStyle::sharegpt;
  std::string column;       // conversations / messages / instruction
  std::string role_key;     // sharegpt/openai
  std::string content_key;  // sharegpt/openai
  std::string describe() const;
};

// Maps an upstream role to system/user/assistant; empty if unknown.
std::string_view map_role(std::string_view role);

// Decides the schema from the first rows of the dataset (valid JSON objects). `where` names
// the dataset for errors ("missing conversations column" and the like).
ConversationSchema detect_conversation_schema(const std::vector<std::string>& first_rows, std::string_view where);

class Standardizer {
 public:
  explicit Standardizer(ConversationSchema schema);
  ~Standardizer();
  Standardizer(Standardizer&&) noexcept;
  Standardizer& operator=(Standardizer&&) noexcept;

  // Appends the standardized row (one line of JSON, no newline) to `out`. `row` may be grown
  // (simdjson needs padding after the text). Throws BadRow.
  void standardize(std::string& row, std::string& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::pipeline::dataset
