#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/auth/key_ring.h"
#include "engine/core/result.h"

namespace chainflow::api::auth {

// What VerifyJwt checks beyond the signature (config [auth]).
struct JwtOptions {
  std::string issuer;     // non-empty: "iss" must equal it
  std::string audience;   // non-empty: "aud" (string or array) must contain it
  uint64_t leeway_s = 30; // allowance for clock skew on exp and nbf
};

// Verifies a compact JWS (RFC 7515/7519) signed with HS256 by one of the
// configured API keys, chosen by the header's "kid". Rules:
//   - header "alg" must be "HS256" (no "none", no algorithm switching);
//     "kid" must name a configured key;
//   - the HMAC over "<header>.<payload>" must match (constant-time);
//   - "exp" is required: now <= exp + leeway; "nbf", when present,
//     now >= nbf - leeway; "iss"/"aud" as `options` ask;
//   - "scope", when present, narrows the key's scopes to those it lists.
// Unauthenticated with a reason for any failure. Thread-safe.
engine::core::Result<Principal> VerifyJwt(std::string_view token, const KeyRing& keys,
                                          const JwtOptions& options, int64_t now);

}  // namespace chainflow::api::auth
