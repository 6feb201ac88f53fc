#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/auth/key_ring.h"
#include "engine/core/result.h"

namespace chainflow::api::auth {

// HMAC-signed API key requests (api/README.md, "Authentication"). The client
// sends
//   X-Chainflow-Key:       the key id
//   X-Chainflow-Timestamp: unix seconds, decimal
//   X-Chainflow-Signature: lowercase hex HMAC-SHA256(secret, canonical)
// where canonical is CanonicalRequest() below. The idempotency key is signed
// so a captured request cannot be replayed under a fresh key to create a
// second intent; the body is signed through its SHA-256.

inline constexpr std::string_view kKeyHeader = "x-chainflow-key";
inline constexpr std::string_view kTimestampHeader = "x-chainflow-timestamp";
inline constexpr std::string_view kSignatureHeader = "x-chainflow-signature";

struct SignedRequest {
  std::string_view method;           // "POST"
  std::string_view target;           // the request target as sent: "/v1/intents"
  std::string_view key_id;
  std::string_view timestamp;        // the header's text
  std::string_view idempotency_key;  // empty when the request has none
  std::string_view signature_hex;
  std::string_view body;
};

// METHOD "\n" target "\n" timestamp "\n" idempotency_key "\n" hex(sha256(body))
std::string CanonicalRequest(std::string_view method, std::string_view target,
                             std::string_view timestamp, std::string_view idempotency_key,
                             std::string_view body);

// Lowercase hex HMAC-SHA256 of `canonical` under `secret` (what a client sends).
std::string SignCanonical(std::string_view secret, std::string_view canonical);

// Checks `request` against `keys` at time `now` (unix seconds): the key must
// exist, the timestamp be plain decimal within `max_skew_s` of now, and the
// signature match (compared in constant time). Unauthenticated with a reason
// otherwise; the reason never says which part of the signature differed.
engine::core::Result<Principal> VerifyHmacRequest(const KeyRing& keys,
                                                  const SignedRequest& request, int64_t now,
                                                  uint64_t max_skew_s);

}  // namespace chainflow::api::auth
