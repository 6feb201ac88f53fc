#include "api/auth/hmac_request.h"

#include <charconv>

#include <fmt/format.h>

#include "engine/core/crypto.h"

namespace chainflow::api::auth {

std::string CanonicalRequest(std::string_view method, std::string_view target,
                             std::string_view timestamp, std::string_view idempotency_key,
                             std::string_view body) {
  return fmt::format("{}\n{}\n{}\n{}\n{}", method, target, timestamp, idempotency_key,
                     core::LowerHex(core::Sha256(body)));
}

std::string SignCanonical(std::string_view secret, std::string_view canonical) {
  return core::LowerHex(core::HmacSha256(secret, canonical));
}

engine::core::Result<Principal> VerifyHmacRequest(const KeyRing& keys,
                                                  const SignedRequest& request, int64_t now,
                                                  uint64_t max_skew_s) {
  const ApiKey* key = keys.Find(request.key_id);
  if (key == nullptr) return core::UnauthenticatedError("unknown API key");
  int64_t ts = 0;
  const char* begin = request.timestamp.data();
  const char* end = begin + request.timestamp.size();
  auto [ptr, ec] = std::from_chars(begin, end, ts);
  if (request.timestamp.empty() || request.timestamp.front() == '-' || ec != std::errc() ||
      ptr != end) {
    return core::UnauthenticatedError(
        "X-Chainflow-Timestamp: expected unix seconds as plain decimal");
  }
  uint64_t skew = ts > now ? static_cast<uint64_t>(ts - now) : static_cast<uint64_t>(now - ts);
  if (skew > max_skew_s) {
    return core::UnauthenticatedError(fmt::format(
        "X-Chainflow-Timestamp: {} is more than {} s from the server's clock", ts, max_skew_s));
  }
  std::string expected = SignCanonical(
      key->secret, CanonicalRequest(request.method, request.target, request.timestamp,
                                    request.idempotency_key, request.body));
  // Hex is case-insensitive to humans; the comparison is on lowercase.
  std::string given(request.signature_hex);
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!core::ConstantTimeEquals(expected, given)) {
    return core::UnauthenticatedError("X-Chainflow-Signature does not match the request");
  }
  return Principal{key->id, key->scopes};
}

}  // namespace chainflow::api::auth
