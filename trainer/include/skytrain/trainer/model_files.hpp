// The non-weight files of a Hugging Face model directory that travel with every output we
// write (tokenizer, chat template, configs), and the fused-model writer.
//
// The fused model keeps the base's exact file layout: the same safetensors files (and index),
// the same tensor names, order and dtypes; only targeted projection weights change, to
// W + (B @ A) * scale computed in fp32 and rounded once to the base dtype. Every other tensor is
// copied byte for byte. That is what makes `vllm serve fused/` and transformers load it exactly
// like the base model.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace skytrain::trainer {

class LoraAdapter;
struct ModelConfig;

// tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.json, merges.txt,
// added_tokens.json, chat_template.jinja, tokenizer.model: those that exist.
std::vector<std::string> tokenizer_file_names(const std::filesystem::path& dir);
// Copies one file atomically (temp, fsync, rename).
void copy_file_atomic(const std::filesystem::path& from, const std::filesystem::path& to);
void copy_tokenizer_files(const std::filesystem::path& from_dir, const std::filesystem::path& to_dir);
// generation_config.json: the base's if it has one, else a minimal one from config.json's ids.
void write_generation_config(const std::filesystem::path& base_dir, const ModelConfig& c, const std::filesystem::path& to_dir);

// Writes base + merged adapter into out_dir (see above). Returns the files written.
std::vector<std::filesystem::path> write_fused_model(const std::filesystem::path& base_dir, const ModelConfig& c,
                                                     const LoraAdapter& lora, const std::filesystem::path& out_dir);

}  // namespace skytrain::trainer
