// SHA-256 through OpenSSL's EVP interface (incremental), hex output.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace skytrain {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(std::string_view data);
  void update(const void* data, size_t n) { update(std::string_view(static_cast<const char*>(data), n)); }
  std::string hex();           // finishes the hash
  std::string raw();           // 32 raw bytes; finishes the hash

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& p);
std::string to_hex(std::string_view bytes);

}  // namespace skytrain
