#include "api/auth/hmac_request.h"

#include <gtest/gtest.h>

namespace chainflow::api::auth {
namespace {

constexpr int64_t kNow = 1'700'000'000;

KeyRing Keys() {
  core::ApiKeyConfig key;
  key.id = "partner";
  key.secret = "partner-secret-0123456789";
  return KeyRing({key});
}

struct Fixture {
  std::string timestamp = std::to_string(kNow);
  std::string body = R"({"kind":"clap"})";
  std::string idem = "idem-1";
  std::string signature;

  SignedRequest Request() const {
    return {"POST", "/v1/intents", "partner", timestamp, idem, signature, body};
  }
  void Sign(const std::string& secret = "partner-secret-0123456789") {
    signature = SignCanonical(secret, CanonicalRequest("POST", "/v1/intents", timestamp, idem,
                                                       body));
  }
};

TEST(HmacRequestTest, CanonicalFormIsDocumented) {
  EXPECT_EQ(CanonicalRequest("POST", "/v1/intents", "17", "k", "abc"),
            "POST\n/v1/intents\n17\nk\n"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacRequestTest, MatchesOpensslComputedSignature) {
  // printf 'POST\n/v1/intents\n17\nk\nba78...15ad' |
  //   openssl dgst -sha256 -hmac partner-secret-0123456789
  std::string canonical = CanonicalRequest("POST", "/v1/intents", "17", "k", "abc");
  EXPECT_EQ(SignCanonical("partner-secret-0123456789", canonical),
            "09d710542cc3af1ee17e2c8ff4697770bb2e264c3776277d5596e8b9b61ee493");
}

TEST(HmacRequestTest, AcceptsAValidSignature) {
  Fixture f;
  f.Sign();
  auto principal = VerifyHmacRequest(Keys(), f.Request(), kNow + 10, 300);
  ASSERT_TRUE(principal) << principal.error().ToString();
  EXPECT_EQ(principal.value().key_id, "partner");
  EXPECT_TRUE(principal.value().Has(kScopeIntentsWrite));
}

TEST(HmacRequestTest, AcceptsUppercaseHex) {
  Fixture f;
  f.Sign();
  for (char& c : f.signature) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(VerifyHmacRequest(Keys(), f.Request(), kNow, 300));
}

TEST(HmacRequestTest, RejectsTamperedParts) {
  Fixture f;
  f.Sign();
  auto rejected = [](const SignedRequest& r) {
    auto result = VerifyHmacRequest(Keys(), r, kNow, 300);
    return !result && result.error().code() == core::StatusCode::kUnauthenticated;
  };
  SignedRequest r = f.Request();
  r.body = R"({"kind":"gift"})";
  EXPECT_TRUE(rejected(r));
  r = f.Request();
  r.idempotency_key = "idem-2";  // a replay under a fresh key
  EXPECT_TRUE(rejected(r));
  r = f.Request();
  r.target = "/v1/intents?x=1";
  EXPECT_TRUE(rejected(r));
  r = f.Request();
  r.method = "PUT";
  EXPECT_TRUE(rejected(r));
  r = f.Request();
  r.key_id = "other";
  EXPECT_TRUE(rejected(r));
  f.Sign("another-secret-0123456789");
  EXPECT_TRUE(rejected(f.Request()));
}

TEST(HmacRequestTest, RejectsStaleAndFutureTimestamps) {
  Fixture f;
  f.Sign();
  EXPECT_TRUE(VerifyHmacRequest(Keys(), f.Request(), kNow + 300, 300));
  EXPECT_FALSE(VerifyHmacRequest(Keys(), f.Request(), kNow + 301, 300));
  EXPECT_FALSE(VerifyHmacRequest(Keys(), f.Request(), kNow - 301, 300));
}

TEST(HmacRequestTest, RejectsMalformedTimestamps) {
  for (std::string ts : {"", "-1", "17x", " 17", "1.5"}) {
    Fixture f;
    f.timestamp = ts;
    f.Sign();
    EXPECT_FALSE(VerifyHmacRequest(Keys(), f.Request(), kNow, 1'000'000'000'000LL)) << ts;
  }
}

}  // namespace
}  // namespace chainflow::api::auth
