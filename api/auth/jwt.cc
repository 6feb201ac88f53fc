#include "api/auth/jwt.h"

#include <cstdint>
#include <optional>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "api/auth/base64url.h"
#include "engine/core/crypto.h"

namespace chainflow::api::auth {
namespace {

namespace json = boost::json;
using core::Result;

core::Status Fail(std::string_view why) {
  return core::UnauthenticatedError(fmt::format("bearer token: {}", why));
}

// A base64url segment holding a JSON object.
Result<json::object> DecodeObject(std::string_view segment, std::string_view what) {
  auto bytes = Base64UrlDecode(segment);
  if (!bytes) return Fail(fmt::format("{} is not base64url", what));
  json::error_code ec;
  json::value value = json::parse(bytes.value(), ec);
  if (ec || !value.is_object()) return Fail(fmt::format("{} is not a JSON object", what));
  return std::move(value.as_object());
}

// A NumericDate claim as whole seconds; nullopt when absent.
Result<std::optional<int64_t>> TimeClaim(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return std::optional<int64_t>(static_cast<int64_t>(v->as_uint64()));
  }
  if (v->is_double() && v->as_double() > -9e18 && v->as_double() < 9e18) {
    return std::optional<int64_t>(static_cast<int64_t>(v->as_double()));
  }
  return Fail(fmt::format("\"{}\" is not a number", name));
}

core::Status CheckTimes(const json::object& claims, const JwtOptions& options, int64_t now) {
  ASSIGN_OR_RETURN(auto exp, TimeClaim(claims, "exp"));
  ASSIGN_OR_RETURN(auto nbf, TimeClaim(claims, "nbf"));
  const auto leeway = static_cast<int64_t>(options.leeway_s);
  if (!exp) return Fail("\"exp\" is required");
  if (now > *exp + leeway) return Fail("expired");
  if (nbf && now < *nbf - leeway) return Fail("not valid yet (nbf)");
  return core::Status::Ok();
}

core::Status CheckIssuerAudience(const json::object& claims, const JwtOptions& options) {
  if (!options.issuer.empty()) {
    const json::value* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->as_string() != options.issuer) {
      return Fail("wrong or missing \"iss\"");
    }
  }
  if (!options.audience.empty()) {
    const json::value* aud = claims.if_contains("aud");
    bool ok = false;
    if (aud != nullptr && aud->is_string()) ok = aud->as_string() == options.audience;
    if (aud != nullptr && aud->is_array()) {
      for (const auto& a : aud->as_array()) {
        ok = ok || (a.is_string() && a.as_string() == options.audience);
      }
    }
    if (!ok) return Fail("wrong or missing \"aud\"");
  }
  return core::Status::Ok();
}

}  // namespace

Result<Principal> VerifyJwt(std::string_view token, const KeyRing& keys,
                            const JwtOptions& options, int64_t now) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Fail("not a compact JWS (three dot-separated parts)");
  }
  ASSIGN_OR_RETURN(json::object header, DecodeObject(token.substr(0, dot1), "header"));
  const json::value* alg = header.if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256") {
    return Fail("\"alg\" must be HS256");
  }
  const json::value* kid = header.if_contains("kid");
  if (kid == nullptr || !kid->is_string()) return Fail("\"kid\" is required");
  const ApiKey* key = keys.Find(std::string_view(kid->as_string()));
  if (key == nullptr) return Fail("unknown \"kid\"");

  auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  std::string expected = core::HmacSha256(key->secret, token.substr(0, dot2));
  if (!signature || !core::ConstantTimeEquals(expected, signature.value())) {
    return Fail("bad signature");
  }
  // Only now is the payload trusted enough to read.
  ASSIGN_OR_RETURN(json::object claims,
                   DecodeObject(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload"));
  RETURN_IF_ERROR(CheckTimes(claims, options, now));
  RETURN_IF_ERROR(CheckIssuerAudience(claims, options));

  Principal principal{key->id, key->scopes};
  if (const json::value* scope = claims.if_contains("scope")) {
    if (!scope->is_string()) return Fail("\"scope\" is not a string");
    std::set<std::string> narrowed;
    for (const auto& s : ParseScopes(std::string_view(scope->as_string()))) {
      if (principal.scopes.count(s)) narrowed.insert(s);
    }
    principal.scopes = std::move(narrowed);
  }
  return principal;
}

}  // namespace chainflow::api::auth
