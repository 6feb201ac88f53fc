#include "api/auth/authenticator.h"

#include <fmt/format.h>

#include "api/auth/hmac_request.h"

namespace chainflow::api::auth {

Authenticator::Authenticator(const core::AuthConfig& config)
    : keys_(config.keys),
      jwt_{config.jwt_issuer, config.jwt_audience, config.jwt_leeway_s},
      max_skew_s_(config.max_clock_skew_s) {}

core::Result<Principal> Authenticator::Verify(const http::Request& request, int64_t now) const {
  if (keys_.empty()) return core::UnauthenticatedError("no API keys are configured");
  if (auto authorization = request.Header("authorization")) {
    constexpr std::string_view kBearer = "Bearer ";
    std::string_view value(*authorization);
    if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer) {
      return core::UnauthenticatedError("Authorization: expected \"Bearer <token>\"");
    }
    return VerifyJwt(value.substr(kBearer.size()), keys_, jwt_, now);
  }
  auto key = request.Header(kKeyHeader);
  if (!key) {
    return core::UnauthenticatedError(
        "credentials required: Authorization: Bearer <JWT>, or X-Chainflow-Key, "
        "X-Chainflow-Timestamp and X-Chainflow-Signature");
  }
  auto timestamp = request.Header(kTimestampHeader);
  auto signature = request.Header(kSignatureHeader);
  if (!timestamp || !signature) {
    return core::UnauthenticatedError(
        "X-Chainflow-Key needs X-Chainflow-Timestamp and X-Chainflow-Signature");
  }
  std::string idempotency_key = request.Header("idempotency-key").value_or("");
  SignedRequest signed_request{request.method, request.target, *key,          *timestamp,
                               idempotency_key, *signature,     request.body};
  return VerifyHmacRequest(keys_, signed_request, now, max_skew_s_);
}

core::Result<Principal> Authenticator::Authenticate(const http::Request& request, int64_t now,
                                                    std::string_view scope) const {
  ASSIGN_OR_RETURN(Principal principal, Verify(request, now));
  if (!principal.Has(scope)) {
    return core::PermissionDeniedError(
        fmt::format("API key \"{}\" lacks scope {}", principal.key_id, scope));
  }
  return principal;
}

}  // namespace chainflow::api::auth
