#include "engine/core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "engine/core/check.h"
#include "engine/core/hex.h"

namespace chainflow::engine::core {

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest fails only on allocation failure or a broken libcrypto.
  CF_CHECK(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) == 1,
           "EVP_Digest(sha256) failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() accepts an empty key when given a non-null pointer.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  unsigned char* out = HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size(), md, &len);
  CF_CHECK(out != nullptr, "HMAC(sha256) failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string LowerHex(std::string_view bytes) {
  std::string out;
  AppendHex(bytes, &out);
  return out;
}

}  // namespace chainflow::engine::core
