#pragma once

#include <cstdint>
#include <string_view>

#include "api/auth/jwt.h"
#include "api/auth/key_ring.h"
#include "api/http/message.h"
#include "engine/core/config.h"
#include "engine/core/result.h"

namespace chainflow::api::auth {

// Decides who a write request is from: "Authorization: Bearer <JWT>"
// (VerifyJwt) or the X-Chainflow-Key/-Timestamp/-Signature headers
// (VerifyHmacRequest). No credentials, or credentials that do not verify,
// are Unauthenticated (401); a valid key without `scope` is
// PermissionDenied (403). With no keys configured every write is refused.
// Immutable after construction; thread-safe.
class Authenticator {
 public:
  explicit Authenticator(const engine::core::AuthConfig& config);

  // `now` is unix seconds (callers pass their clock).
  engine::core::Result<Principal> Authenticate(const http::Request& request, int64_t now,
                                               std::string_view scope) const;

 private:
  engine::core::Result<Principal> Verify(const http::Request& request, int64_t now) const;

  KeyRing keys_;
  JwtOptions jwt_;
  uint64_t max_skew_s_;
};

}  // namespace chainflow::api::auth
