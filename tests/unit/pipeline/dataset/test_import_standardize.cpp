#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dataset/standardize.hpp"

using namespace skytrain::pipeline::dataset;

namespace {
std::string run(const ConversationSchema& s, std::string row) {
  Standardizer st(s);
  std::string out;
  st.standardize(row, out);
  return out;
}
}  // namespace

TEST_CASE("import: role mapping follows the ShareGPT aliases") {
  CHECK(map_role("system") == "system");
  CHECK(map_role("human") == "user");
  CHECK(map_role("user") == "user");
  CHECK(map_role("input") == "user");
  CHECK(map_role("gpt") == "assistant");
  CHECK(map_role("assistant") == "assistant");
  CHECK(map_role("output") == "assistant");
  CHECK(map_role("tool").empty());
  CHECK(map_role("Human").empty());
}

TEST_CASE("import: ShareGPT rows become role/content, other columns kept verbatim") {
  std::vector<std::string> rows = {
      R"({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello \u00e9"}], "source": "x", "score": 4.50})"};
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(schema.style == ConversationStyle::sharegpt);
  CHECK(schema.role_key == "from");
  CHECK(schema.content_key == "value");
  CHECK(run(schema, rows[0]) ==
        R"({"conversations":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello \u00e9"}],"source":"x","score":4.50})");
}

TEST_CASE("import: the role key is the message key with fewer distinct values") {
  std::vector<std::string> rows;
  for (int i = 0; i < 4; ++i)
    rows.push_back(R"({"conversations":[{"text":"q)" + std::to_string(i) + R"(","speaker":"human"},{"text":"a)" +
                   std::to_string(i) + R"(","speaker":"gpt"}]})");
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(schema.role_key == "speaker");
  CHECK(schema.content_key == "text");
  CHECK(run(schema, rows[1]) == R"({"conversations":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"}]})");
}

TEST_CASE("import: a tie between message keys picks 'from' as the role key") {
  std::vector<std::string> rows = {R"({"conversations":[{"value":"a","from":"human"},{"value":"b","from":"gpt"}]})"};
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(schema.role_key == "from");
}

TEST_CASE("import: unknown roles and broken messages are bad rows") {
  std::vector<std::string> rows = {R"({"conversations":[{"from":"human","value":"a"},{"from":"gpt","value":"b"}]})"};
  auto schema = detect_conversation_schema(rows, "test");
  Standardizer st(schema);
  std::string out = "keep";
  std::string bad = R"({"conversations":[{"from":"human","value":"a"},{"from":"robot","value":"b"}]})";
  CHECK_THROWS_WITH_AS(st.standardize(bad, out), doctest::Contains("unknown role \"robot\" in message 1"), BadRow);
  CHECK(out == "keep");  // nothing half-appended
  std::string no_role = R"({"conversations":[{"value":"a"}]})";
  CHECK_THROWS_WITH_AS(st.standardize(no_role, out), doctest::Contains("no role key \"from\""), BadRow);
  std::string not_list = R"({"conversations":"hello"})";
  CHECK_THROWS_AS(st.standardize(not_list, out), BadRow);
  std::string missing = R"({"other":1})";
  CHECK_THROWS_WITH_AS(st.standardize(missing, out), doctest::Contains("missing conversations column"), BadRow);
}

TEST_CASE("import: OpenAI messages are renamed to conversations in place") {
  std::vector<std::string> rows = {
      R"({"id":7,"messages":[{"role":"system","content":"s"},{"role":"user","content":"u","name":"x"},{"role":"assistant","content":[{"type":"text","text":"t"}]}],"lang":"en"})"};
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(schema.style == ConversationStyle::openai_messages);
  CHECK(schema.role_key == "role");
  CHECK(run(schema, rows[0]) ==
        R"({"id":7,"conversations":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":[{"type":"text","text":"t"}]}],"lang":"en"})");
}

TEST_CASE("import: Alpaca rows become a user and an assistant turn") {
  std::vector<std::string> rows = {R"({"instruction":"Add","input":"1 and 2","output":"3","id":1})",
                                   R"({"instruction":"Say hi","input":"","output":"hi","id":2})"};
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(schema.style == ConversationStyle::alpaca);
  CHECK(run(schema, rows[0]) ==
        R"({"conversations":[{"role":"user","content":"Add\n\n1 and 2"},{"role":"assistant","content":"3"}],"id":1})");
  CHECK(run(schema, rows[1]) ==
        R"({"conversations":[{"role":"user","content":"Say hi"},{"role":"assistant","content":"hi"}],"id":2})");
}

TEST_CASE("import: a dataset without a conversations column is rejected with its columns") {
  std::vector<std::string> rows = {R"({"text":"x","label":1})"};
  CHECK_THROWS_WITH(detect_conversation_schema(rows, "dataset d"),
                    doctest::Contains("missing conversations column"));
  CHECK_THROWS_WITH(detect_conversation_schema(rows, "dataset d"), doctest::Contains("text, label"));
}

TEST_CASE("import: pretty-printed JSON inside kept columns is compacted, strings untouched") {
  std::vector<std::string> rows = {
      "{ \"conversations\" : [ { \"from\" : \"human\" , \"value\" : \"a  b\\n\" } ] ,\n \"meta\" : { \"k\" : [ 1 , 2 ] } }"};
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(run(schema, rows[0]) == R"({"conversations":[{"role":"user","content":"a  b\n"}],"meta":{"k":[1,2]}})");
}

TEST_CASE("import: escaped quotes and backslashes inside strings keep their extent") {
  std::vector<std::string> rows = {
      R"({"conversations":[{"from":"human","value":"say \"hi\" \\"},{"from":"gpt","value":"\\\\\"x\\"}],"k\"ey":"v\\"})"};
  auto schema = detect_conversation_schema(rows, "test");
  CHECK(run(schema, rows[0]) ==
        R"({"conversations":[{"role":"user","content":"say \"hi\" \\"},{"role":"assistant","content":"\\\\\"x\\"}],"k\"ey":"v\\"})");
}
