// Which tokens of a rendered conversation are trained.
//
// The rule is `train_on_responses_only`'s: an assistant turn's content and its closing tokens
// are trained; system, user, tool and template scaffolding are not. Unsloth applies it with
// hand-written marker strings per model family ("<|im_start|>assistant\n" ... "<|im_start|>user\n"
// for ChatML). We derive the markers from the model's own chat template instead, by rendering
// two probe conversations with sentinel strings:
//   - the assistant header is what add_generation_prompt=true appends to a one-user-turn
//     conversation ("<|im_start|>assistant\n" for ChatML, "<|start_header_id|>assistant
//     <|end_header_id|>\n\n" for Llama-3);
//   - the assistant closing is what the template writes after the last assistant message's
//     content ("<|im_end|>\n" for ChatML, "<|eot_id|>" for Llama-3).
// In the real rendering, every span from the end of a header to the end of the next closing is
// trained. That covers what the template inserts inside the turn (Qwen3's empty think block,
// tool calls) exactly as the textual rule does, and it needs no per-family code.
//
// Why not diff prefix renderings (render(m[:i]) vs render(m[:i+1]))? Templates such as Qwen3's
// render earlier turns differently once a later user turn exists (reasoning is dropped), so
// prefixes do not nest; marker search on the final text has no such assumption.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline {

struct AssistantMarkers {
  std::string header;   // text that opens an assistant turn
  std::string closing;  // text that closes it (may be empty: then a turn runs to the next header)
};

// Probes the template; throws Error naming the template if it does not reveal a header.
AssistantMarkers derive_assistant_markers(const ChatTemplate& tmpl);

// Byte ranges [begin, end) of `rendered` that are trained.
std::vector<std::pair<size_t, size_t>> trained_spans(std::string_view rendered, const AssistantMarkers& m);

// mask[i] = 1 iff token i starts inside a trained span. `offsets` are the tokens' byte ranges.
std::vector<uint8_t> token_mask(const std::vector<std::pair<uint32_t, uint32_t>>& offsets,
                                const std::vector<std::pair<size_t, size_t>>& spans);

}  // namespace skytrain::pipeline
