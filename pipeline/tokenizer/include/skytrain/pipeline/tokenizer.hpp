// Hugging Face tokenizer.json, reproduced id for id (reference: the Rust `tokenizers` library).
// Contract shared by skytrain-tokenize, skytrain-pretokenize and the trainer's generate.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline {

struct Encoding {
  std::vector<uint32_t> ids;
  // Byte offsets [start, end) of each token in the input text (for tokens that came from
  // byte-level pieces of a multi-byte character, the offsets of the whole character).
  std::vector<std::pair<uint32_t, uint32_t>> offsets;
};

class Tokenizer {
 public:
  // A tokenizer.json file, or a directory that holds one.
  static Tokenizer load(const std::filesystem::path& file_or_dir);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // add_special_tokens=true applies the post-processor (e.g. Llama-3's <|begin_of_text|>);
  // apply_chat_template encodes with false, and so does pretokenize.
  std::vector<uint32_t> encode(std::string_view text, bool add_special_tokens = false) const;
  Encoding encode_with_offsets(std::string_view text, bool add_special_tokens = false) const;
  std::vector<std::vector<uint32_t>> encode_batch(const std::vector<std::string>& texts, int threads,
                                                  bool add_special_tokens = false) const;
  std::string decode(std::span<const uint32_t> ids, bool skip_special_tokens = false) const;

  std::optional<uint32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(uint32_t id) const;
  size_t vocab_size() const;         // including added tokens
  const std::string& sha256() const; // of the tokenizer.json bytes

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::pipeline
