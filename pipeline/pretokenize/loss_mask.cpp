#include "loss_mask.hpp"

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::pipeline {
namespace {

constexpr std::string_view kProbeUser = "skytrain probe user 5f3a9c";
constexpr std::string_view kProbeAssistant = "skytrain probe assistant 9c1e77";

std::string probe_context(bool with_assistant, bool add_generation_prompt) {
  JsonWriter w;
  w.begin_object().key("messages").begin_array();
  w.begin_object().key("role").value("user").key("content").value(kProbeUser).end_object();
  if (with_assistant)
    w.begin_object().key("role").value("assistant").key("content").value(kProbeAssistant).end_object();
  w.end_array().key("add_generation_prompt").value(add_generation_prompt).end_object();
  return w.take();
}

}  // namespace

AssistantMarkers derive_assistant_markers(const ChatTemplate& tmpl) {
  AssistantMarkers m;
  const std::string user_only = tmpl.render(probe_context(false, false));
  const std::string with_prompt = tmpl.render(probe_context(false, true));
  if (with_prompt.size() <= user_only.size() || with_prompt.compare(0, user_only.size(), user_only) != 0)
    fail("chat template: add_generation_prompt=true does not append an assistant header to the conversation, "
         "so the assistant turns (the trained tokens) cannot be located");
  m.header = with_prompt.substr(user_only.size());

  const std::string with_answer = tmpl.render(probe_context(true, false));
  size_t pos = with_answer.rfind(kProbeAssistant);
  if (pos == std::string::npos) fail("chat template: an assistant message's content does not appear in the rendering");
  m.closing = with_answer.substr(pos + kProbeAssistant.size());
  // Templates emit the header with the turn; check it really precedes the probe answer.
  size_t h = with_answer.rfind(m.header, pos);
  if (h == std::string::npos)
    fail("chat template: the generation prompt {} does not open assistant turns in the rendering", json_quote(m.header));
  return m;
}

std::vector<std::pair<size_t, size_t>> trained_spans(std::string_view rendered, const AssistantMarkers& m) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t pos = 0;
  while (pos < rendered.size()) {
    size_t h = rendered.find(m.header, pos);
    if (h == std::string_view::npos) break;
    size_t begin = h + m.header.size();
    size_t end;
    if (m.closing.empty()) {
      size_t next = rendered.find(m.header, begin);
      end = next == std::string_view::npos ? rendered.size() : next;
    } else {
      size_t c = rendered.find(m.closing, begin);
      end = c == std::string_view::npos ? rendered.size() : c + m.closing.size();
    }
    if (end > begin) spans.emplace_back(begin, end);
    pos = end;
  }
  return spans;
}

std::vector<uint8_t> token_mask(const std::vector<std::pair<uint32_t, uint32_t>>& offsets,
                                const std::vector<std::pair<size_t, size_t>>& spans) {
  std::vector<uint8_t> mask(offsets.size(), 0);
  size_t s = 0;
  for (size_t i = 0; i < offsets.size(); ++i) {
    size_t start = offsets[i].first;
    while (s < spans.size() && spans[s].second <= start) ++s;
    if (s < spans.size() && spans[s].first <= start) mask[i] = 1;
  }
  return mask;
}

}  // namespace skytrain::pipeline
