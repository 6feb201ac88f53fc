#include "api/auth/jwt.h"

#include <gtest/gtest.h>

#include "tests/unit/api/auth/jwt_test_util.h"

namespace chainflow::api::auth {
namespace {

using testing::MakeJwt;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kSecret[] = "partner-secret-0123456789";
constexpr char kHeader[] = R"({"alg":"HS256","typ":"JWT","kid":"partner"})";

KeyRing Keys() {
  core::ApiKeyConfig key;
  key.id = "partner";
  key.secret = kSecret;
  key.scopes = "intents:write intents:read";
  return KeyRing({key});
}

std::string Claims(int64_t exp, const std::string& extra = "") {
  return "{\"sub\":\"u1\",\"exp\":" + std::to_string(exp) + extra + "}";
}

core::StatusCode CodeOf(const std::string& token, const JwtOptions& options = {},
                        int64_t now = kNow) {
  auto result = VerifyJwt(token, Keys(), options, now);
  return result ? core::StatusCode::kOk : result.error().code();
}

TEST(JwtTest, AcceptsAValidToken) {
  auto principal = VerifyJwt(MakeJwt(kHeader, Claims(kNow + 60), kSecret), Keys(), {}, kNow);
  ASSERT_TRUE(principal) << principal.error().ToString();
  EXPECT_EQ(principal.value().key_id, "partner");
  EXPECT_TRUE(principal.value().Has("intents:write"));
  EXPECT_TRUE(principal.value().Has("intents:read"));
}

TEST(JwtTest, RejectsForgedTokens) {
  const auto kUnauth = core::StatusCode::kUnauthenticated;
  // Signed with another secret.
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 60), "not-the-secret-0123456")), kUnauth);
  // Payload swapped after signing.
  std::string good = MakeJwt(kHeader, Claims(kNow + 60), kSecret);
  std::string other = MakeJwt(kHeader, Claims(kNow + 6000), kSecret);
  std::string spliced = good.substr(0, good.find('.')) + other.substr(other.find('.'),
                                                                       other.rfind('.') -
                                                                           other.find('.')) +
                        good.substr(good.rfind('.'));
  EXPECT_EQ(CodeOf(spliced), kUnauth);
  // alg none, and an unknown alg.
  EXPECT_EQ(CodeOf(MakeJwt(R"({"alg":"none","kid":"partner"})", Claims(kNow + 60), kSecret)),
            kUnauth);
  EXPECT_EQ(CodeOf(MakeJwt(R"({"alg":"HS512","kid":"partner"})", Claims(kNow + 60), kSecret)),
            kUnauth);
  // No kid, unknown kid.
  EXPECT_EQ(CodeOf(MakeJwt(R"({"alg":"HS256"})", Claims(kNow + 60), kSecret)), kUnauth);
  EXPECT_EQ(CodeOf(MakeJwt(R"({"alg":"HS256","kid":"x"})", Claims(kNow + 60), kSecret)), kUnauth);
  // Not a JWS at all.
  EXPECT_EQ(CodeOf("abc"), kUnauth);
  EXPECT_EQ(CodeOf("a.b.c.d"), kUnauth);
  EXPECT_EQ(CodeOf(good.substr(0, good.rfind('.') + 1)), kUnauth);  // empty signature
}

TEST(JwtTest, ChecksExpiryAndNotBefore) {
  JwtOptions options;
  options.leeway_s = 30;
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow - 30), kSecret), options), core::StatusCode::kOk);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow - 31), kSecret), options),
            core::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, R"({"sub":"u1"})", kSecret), options),
            core::StatusCode::kUnauthenticated);  // exp is required
  std::string nbf = ",\"nbf\":" + std::to_string(kNow + 100);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 600, nbf), kSecret), options),
            core::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 600, nbf), kSecret), options, kNow + 70),
            core::StatusCode::kOk);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, R"({"exp":"soon"})", kSecret), options),
            core::StatusCode::kUnauthenticated);
}

TEST(JwtTest, ChecksIssuerAndAudienceWhenConfigured) {
  JwtOptions options;
  options.issuer = "issuer.example";
  options.audience = "chainflow";
  std::string both = R"(,"iss":"issuer.example","aud":["other","chainflow"])";
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 60, both), kSecret), options),
            core::StatusCode::kOk);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 60, R"(,"iss":"issuer.example","aud":"x")"),
                           kSecret),
                   options),
            core::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 60, R"(,"aud":"chainflow")"), kSecret),
                   options),
            core::StatusCode::kUnauthenticated);
  // Not configured: not checked.
  EXPECT_EQ(CodeOf(MakeJwt(kHeader, Claims(kNow + 60), kSecret)), core::StatusCode::kOk);
}

TEST(JwtTest, ScopeClaimNarrowsTheKeysScopes) {
  std::string scope = R"(,"scope":"intents:read admin")";
  auto principal =
      VerifyJwt(MakeJwt(kHeader, Claims(kNow + 60, scope), kSecret), Keys(), {}, kNow);
  ASSERT_TRUE(principal);
  EXPECT_TRUE(principal.value().Has("intents:read"));
  EXPECT_FALSE(principal.value().Has("intents:write"));
  EXPECT_FALSE(principal.value().Has("admin"));  // a token cannot widen its key
}

}  // namespace
}  // namespace chainflow::api::auth
