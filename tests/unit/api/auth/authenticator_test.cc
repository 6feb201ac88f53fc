#include "api/auth/authenticator.h"

#include <gtest/gtest.h>

#include "api/auth/hmac_request.h"
#include "tests/unit/api/auth/jwt_test_util.h"

namespace chainflow::api::auth {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr char kWriter[] = "writer-secret-0123456789";
constexpr char kReader[] = "reader-secret-0123456789";

core::AuthConfig Config() {
  core::AuthConfig config;
  config.keys.push_back({"writer", kWriter, "", "intents:write"});
  config.keys.push_back({"reader", kReader, "", "intents:read"});
  return config;
}

http::Request Post(const std::string& body) {
  http::Request r;
  r.method = "POST";
  r.target = "/v1/intents";
  r.body = body;
  r.headers["idempotency-key"] = "k1";
  return r;
}

void SignHmac(http::Request& r, const std::string& key_id, const std::string& secret) {
  std::string ts = std::to_string(kNow);
  r.headers["x-chainflow-key"] = key_id;
  r.headers["x-chainflow-timestamp"] = ts;
  r.headers["x-chainflow-signature"] =
      SignCanonical(secret, CanonicalRequest(r.method, r.target, ts, "k1", r.body));
}

core::StatusCode CodeOf(const Authenticator& auth, const http::Request& r) {
  auto result = auth.Authenticate(r, kNow, kScopeIntentsWrite);
  return result ? core::StatusCode::kOk : result.error().code();
}

TEST(AuthenticatorTest, NoCredentialsIsUnauthenticated) {
  Authenticator auth(Config());
  EXPECT_EQ(CodeOf(auth, Post("{}")), core::StatusCode::kUnauthenticated);
}

TEST(AuthenticatorTest, HmacKeyWithScopeIsAccepted) {
  Authenticator auth(Config());
  http::Request r = Post("{}");
  SignHmac(r, "writer", kWriter);
  auto principal = auth.Authenticate(r, kNow, kScopeIntentsWrite);
  ASSERT_TRUE(principal) << principal.error().ToString();
  EXPECT_EQ(principal.value().key_id, "writer");
}

TEST(AuthenticatorTest, ValidKeyWithoutScopeIsPermissionDenied) {
  Authenticator auth(Config());
  http::Request r = Post("{}");
  SignHmac(r, "reader", kReader);
  EXPECT_EQ(CodeOf(auth, r), core::StatusCode::kPermissionDenied);
}

TEST(AuthenticatorTest, IncompleteHmacHeadersAreUnauthenticated) {
  Authenticator auth(Config());
  http::Request r = Post("{}");
  SignHmac(r, "writer", kWriter);
  r.headers.erase("x-chainflow-signature");
  EXPECT_EQ(CodeOf(auth, r), core::StatusCode::kUnauthenticated);
}

TEST(AuthenticatorTest, BearerJwt) {
  Authenticator auth(Config());
  http::Request r = Post("{}");
  std::string claims = "{\"exp\":" + std::to_string(kNow + 60) + "}";
  r.headers["authorization"] =
      "Bearer " + testing::MakeJwt(R"({"alg":"HS256","kid":"writer"})", claims, kWriter);
  EXPECT_EQ(CodeOf(auth, r), core::StatusCode::kOk);
  r.headers["authorization"] =
      "Bearer " + testing::MakeJwt(R"({"alg":"HS256","kid":"writer"})", claims, kReader);
  EXPECT_EQ(CodeOf(auth, r), core::StatusCode::kUnauthenticated);
  r.headers["authorization"] = "Basic dXNlcjpwYXNz";
  EXPECT_EQ(CodeOf(auth, r), core::StatusCode::kUnauthenticated);
}

TEST(AuthenticatorTest, NoConfiguredKeysRefusesEverything) {
  Authenticator auth(core::AuthConfig{});
  http::Request r = Post("{}");
  SignHmac(r, "writer", kWriter);
  EXPECT_EQ(CodeOf(auth, r), core::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace chainflow::api::auth
