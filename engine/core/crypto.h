#pragma once

#include <string>
#include <string_view>

namespace chainflow::engine::core {

// Message digests and MACs for request authentication (API keys, JWT,
// webhook signatures), on OpenSSL's libcrypto. All functions are pure and
// thread-safe. Outputs are raw bytes; core::ToHex renders them.

// SHA-256 of `data`: 32 raw bytes.
std::string Sha256(std::string_view data);

// HMAC-SHA256 of `message` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view message);

// True when `a` and `b` are equal, in time that depends only on their
// lengths (CRYPTO_memcmp), so a caller comparing a MAC it computed with one
// an attacker sent leaks nothing about where they differ. Different lengths
// compare unequal at once: lengths are public (a MAC's size is fixed).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Lowercase hex without a prefix ("0a1b..."), the form signatures travel in.
std::string LowerHex(std::string_view bytes);

}  // namespace chainflow::engine::core
