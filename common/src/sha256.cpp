#include "skytrain/common/sha256.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <vector>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"

namespace skytrain {

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) fail("OpenSSL: SHA-256 init failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) fail("OpenSSL: SHA-256 update failed");
}

std::string Sha256::raw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_->md, out, &n) != 1) fail("OpenSSL: SHA-256 final failed");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string Sha256::hex() { return to_hex(raw()); }

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

std::string sha256_file_hex(const std::filesystem::path& p) {
  UniqueFd fd = open_or_fail(p, O_RDONLY);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t off = 0;
  for (;;) {
    size_t n = pread_full(fd.get(), buf.data(), buf.size(), off, p);
    if (n == 0) break;
    h.update(buf.data(), n);
    off += n;
  }
  return h.hex();
}

}  // namespace skytrain
