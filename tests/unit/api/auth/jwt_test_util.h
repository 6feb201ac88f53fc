#pragma once

#include <string>

#include "api/auth/base64url.h"
#include "engine/core/crypto.h"

namespace chainflow::api::auth::testing {

// A compact HS256 JWS of the given header and payload JSON texts, written
// independently of VerifyJwt (tests only).
inline std::string MakeJwt(const std::string& header_json, const std::string& payload_json,
                           const std::string& secret) {
  std::string signing_input =
      Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  return signing_input + "." +
         Base64UrlEncode(engine::core::HmacSha256(secret, signing_input));
}

}  // namespace chainflow::api::auth::testing
