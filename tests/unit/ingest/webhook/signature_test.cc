#include "ingest/webhook/signature.h"

#include <gtest/gtest.h>

namespace chainflow::ingest::webhook {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr char kSecret[] = "whsec_0123456789abcdef";
constexpr char kBody[] = R"({"id":"evt_1"})";
// printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_0123456789abcdef
constexpr char kMac[] = "dea1657bd5053cb0f8a75ebf0bd3d22e0cdeb79563b44db6b88864e522fb8bc4";

engine::core::StatusCode CodeOf(const std::string& header, int64_t now = kNow,
                                const std::string& body = kBody) {
  return VerifyWebhookSignature(kSecret, header, body, now, 300).code();
}

TEST(WebhookSignatureTest, SignMatchesOpenssl) {
  EXPECT_EQ(SignWebhook(kSecret, kNow, kBody), std::string("t=1700000000,v1=") + kMac);
}

TEST(WebhookSignatureTest, AcceptsValidSignatures) {
  EXPECT_EQ(CodeOf(std::string("t=1700000000,v1=") + kMac), engine::core::StatusCode::kOk);
  // Rotation: one stale v1 and the right one, in any order, plus other schemes.
  EXPECT_EQ(CodeOf(std::string("t=1700000000,v1=00ff,v0=abc, v1=") + kMac),
            engine::core::StatusCode::kOk);
  EXPECT_EQ(CodeOf(std::string("t=1700000000,v1=") + kMac, kNow + 300),
            engine::core::StatusCode::kOk);
}

TEST(WebhookSignatureTest, RejectsBadSignatures) {
  const auto kUnauth = engine::core::StatusCode::kUnauthenticated;
  std::string good = std::string("t=1700000000,v1=") + kMac;
  EXPECT_EQ(CodeOf(good, kNow, R"({"id":"evt_2"})"), kUnauth);  // other body
  EXPECT_EQ(CodeOf(std::string("t=1700000001,v1=") + kMac), kUnauth);  // other t
  EXPECT_EQ(CodeOf(good, kNow + 301), kUnauth);                         // stale
  EXPECT_EQ(CodeOf(good, kNow - 301), kUnauth);                         // from the future
  EXPECT_EQ(CodeOf(""), kUnauth);
  EXPECT_EQ(CodeOf(std::string("v1=") + kMac), kUnauth);                // no t
  EXPECT_EQ(CodeOf("t=1700000000"), kUnauth);                           // no v1
  EXPECT_EQ(CodeOf(std::string("t=1700000000,t=1700000000,v1=") + kMac), kUnauth);
  EXPECT_EQ(CodeOf(std::string("t=-5,v1=") + kMac), kUnauth);
  EXPECT_EQ(CodeOf(std::string("t=17x,v1=") + kMac), kUnauth);
  EXPECT_EQ(CodeOf(std::string("garbage,v1=") + kMac), kUnauth);
  std::string upper(kMac);
  upper[0] = 'D';  // hex case matters here: providers send lowercase
  EXPECT_EQ(CodeOf("t=1700000000,v1=" + upper), kUnauth);
}

}  // namespace
}  // namespace chainflow::ingest::webhook
