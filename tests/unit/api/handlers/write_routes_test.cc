// POST /v1/intents and POST /v1/webhooks/{provider} over real HTTP, with a
// fake log and dedup store: what each request answers and what it appends.
#include <gtest/gtest.h>

#include "api/auth/hmac_request.h"
#include "api/handlers/service.h"
#include "ingest/webhook/signature.h"
#include "tests/support/fake_log.h"
#include "tests/unit/api/handlers/fake_dedup_store.h"
#include "tests/unit/api/handlers/fake_status_source.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::api::handlers {
namespace {

using api::testing::HttpResult;
using api::testing::TestClient;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kTopic[] = "t.user.events";
constexpr char kSecret[] = "partner-secret-0123456789";
constexpr char kHookSecret[] = "whsec_test_0123456789";
constexpr char kToken[] = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
constexpr char kPayer[] = "0x1111111111111111111111111111111111111111";

std::string IntentBody(const std::string& amount = "\"1000\"") {
  return std::string(R"({"kind":"gift","payer":")") + kPayer +
         R"(","payee":"0x2222222222222222222222222222222222222222","chain":"anvil","token":")" +
         kToken + R"(","amount":)" + amount + "}";
}

std::string HookBody(const std::string& id, const std::string& type = "payment.succeeded") {
  return R"({"id":")" + id + R"(","type":")" + type +
         R"(","created":1699999990,"data":{"account":")" + kPayer +
         R"(","chain":"anvil","token":")" + kToken + R"(","amount":"500"}})";
}

class WriteRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = core::Config::Parse(
        std::string("[postgres]\nurl = \"postgresql://chainflow@127.0.0.1:1/x\"\n"
                    "[[chains]]\nname = \"anvil\"\nchain_id = 31337\n"
                    "[[contracts]]\nchain = \"anvil\"\nstandard = \"erc20\"\naddress = \"") +
            kToken +
            "\"\n[auth]\n[[auth.keys]]\nid = \"partner\"\nsecret = \"" + kSecret +
            "\"\n[[auth.webhooks]]\nprovider = \"pay\"\nsecret = \"" + kHookSecret +
            "\"\n[intents]\nmax_body_bytes = 1024\n",
        {});
    ASSERT_TRUE(config) << config.error().ToString();
    output_ = UserEventsOutput{&log_, &store_, kTopic, 4};
    // The user event clock: the wall clock until a test moves chain time.
    output_.stamp = [this] { return stamp_ != 0 ? stamp_ : now_; };
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto service = ApiService::Open(config.value(), status_, options, &output_,
                                    [this] { return now_; });
    ASSERT_TRUE(service) << service.error().ToString();
    service_ = std::move(service).value();
    ASSERT_TRUE(service_->Start().ok());
    client_ = std::make_unique<TestClient>(service_->port());
  }

  HttpResult PostIntent(const std::string& body, const std::string& idem = "order-1",
                        const std::string& secret = kSecret) {
    std::string ts = std::to_string(now_);
    std::string sig = auth::SignCanonical(
        secret, auth::CanonicalRequest("POST", "/v1/intents", ts, idem, body));
    return client_->Send("POST", "/v1/intents", body,
                         {{"X-Chainflow-Key", "partner"},
                          {"X-Chainflow-Timestamp", ts},
                          {"X-Chainflow-Signature", sig},
                          {"Idempotency-Key", idem},
                          {"Content-Type", "application/json"}});
  }
  HttpResult PostHook(const std::string& body, const std::string& signature) {
    return client_->Send("POST", "/v1/webhooks/pay", body, {{"Webhook-Signature", signature}});
  }
  size_t Appended() const { return log_.ReadAll(kTopic).size(); }
  static std::string Code(const HttpResult& r) {
    return std::string(r.Json().at("error").at("code").as_string());
  }
  static std::string Message(const HttpResult& r) {
    return std::string(r.Json().at("error").at("message").as_string());
  }

  int64_t now_ = kNow;  // the wall clock (credentials)
  int64_t stamp_ = 0;   // the user event clock when set (received_at)
  chainflow::testing::FakeLog log_;
  testing::FakeDedupStore store_;
  UserEventsOutput output_;
  testing::FakeStatusSource status_;
  std::unique_ptr<ApiService> service_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(WriteRoutesTest, ValidIntentIsAppendedOnceAndRetriesReplay) {
  HttpResult first = PostIntent(IntentBody());
  ASSERT_EQ(first.status, 201) << first.body;
  std::string id(first.Json().at("intent_id").as_string());
  EXPECT_EQ(id, IntentId("partner", "order-1"));
  EXPECT_EQ(first.Json().at("received_at").as_int64(), kNow);
  ASSERT_EQ(Appended(), 1u);
  EXPECT_EQ(log_.ReadAll(kTopic)[0].key, std::string("anvil:") + kToken + ":" + kPayer);

  now_ += 5;  // a retry a little later, signed afresh
  HttpResult retry = PostIntent(IntentBody());
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.Json().at("intent_id").as_string(), id);
  EXPECT_EQ(retry.Json().at("received_at").as_int64(), kNow);
  EXPECT_EQ(retry.Header("idempotent-replayed"), "true");
  EXPECT_EQ(Appended(), 1u);

  HttpResult reused = PostIntent(IntentBody("\"999\""));
  EXPECT_EQ(reused.status, 422) << reused.body;
  EXPECT_EQ(Code(reused), "idempotency_key_reused");
  EXPECT_EQ(Appended(), 1u);

  EXPECT_EQ(PostIntent(IntentBody(), "order-2").status, 201);
  EXPECT_EQ(Appended(), 2u);
}

TEST_F(WriteRoutesTest, RejectionsAppendNothing) {
  // No credentials.
  HttpResult r = client_->Send("POST", "/v1/intents", IntentBody(), {{"Idempotency-Key", "a"}});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(Code(r), "unauthenticated");
  // Wrong secret.
  EXPECT_EQ(PostIntent(IntentBody(), "a", "wrong-secret-0123456789").status, 401);
  // A bearer token that is not a JWT.
  r = client_->Send("POST", "/v1/intents", IntentBody(),
                    {{"Authorization", "Bearer x.y.z"}});
  EXPECT_EQ(r.status, 401);
  // Bad fields.
  r = PostIntent("{\"kind\":");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r).rfind("body: malformed JSON", 0), 0u) << r.body;
  r = PostIntent(IntentBody("\"-1\""));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r).rfind("amount: ", 0), 0u) << r.body;
  r = PostIntent(IntentBody(
      "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\""));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "amount: exceeds 2^256-1");
  // Too large for the route (1024), though under the server's 1 MiB.
  r = PostIntent(IntentBody() + std::string(2000, ' '));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(Code(r), "payload_too_large");
  EXPECT_EQ(Appended(), 0u);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(WriteRoutesTest, MissingIdempotencyKeyIs400) {
  std::string ts = std::to_string(now_);
  std::string sig = auth::SignCanonical(
      kSecret, auth::CanonicalRequest("POST", "/v1/intents", ts, "", IntentBody()));
  HttpResult r = client_->Send("POST", "/v1/intents", IntentBody(),
                               {{"X-Chainflow-Key", "partner"},
                                {"X-Chainflow-Timestamp", ts},
                                {"X-Chainflow-Signature", sig}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Message(r), "Idempotency-Key: header is required");
  EXPECT_EQ(Appended(), 0u);
}

TEST_F(WriteRoutesTest, BrokerFailureIs503AndTheRetryAppendsTheSameRecord) {
  log_.FailNextFlush(core::UnavailableError("broker down"));
  EXPECT_EQ(PostIntent(IntentBody()).status, 503);
  now_ += 60;
  HttpResult retry = PostIntent(IntentBody());
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(retry.Json().at("received_at").as_int64(), kNow);
  auto records = log_.ReadAll(kTopic);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].value, records[1].value);
}

TEST_F(WriteRoutesTest, WebhookMintThenReplay) {
  std::string body = HookBody("evt_1");
  HttpResult r = PostHook(body, ingest::webhook::SignWebhook(kHookSecret, now_, body));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("status").as_string(), "accepted");
  ASSERT_EQ(Appended(), 1u);
  chainflow::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(log_.ReadAll(kTopic)[0].value));
  ASSERT_TRUE(envelope.has_mint_requested());
  EXPECT_EQ(envelope.id(), "webhook/pay/evt_1");
  EXPECT_EQ(envelope.mint_requested().amount(), core::U256ToBigEndianString(core::U256(500)));
  EXPECT_EQ(envelope.mint_requested().received_at(), static_cast<uint64_t>(kNow));

  now_ += 10;  // the same delivery again, re-signed
  r = PostHook(body, ingest::webhook::SignWebhook(kHookSecret, now_, body));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("status").as_string(), "duplicate");
  EXPECT_EQ(Appended(), 1u);
  // The same id with another body.
  std::string other = HookBody("evt_1", "withdrawal.succeeded");
  r = PostHook(other, ingest::webhook::SignWebhook(kHookSecret, now_, other));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Appended(), 1u);
  // A withdrawal burns.
  std::string burn = HookBody("evt_2", "withdrawal.succeeded");
  EXPECT_EQ(PostHook(burn, ingest::webhook::SignWebhook(kHookSecret, now_, burn)).status, 200);
  ASSERT_EQ(Appended(), 2u);
  ASSERT_TRUE(envelope.ParseFromString(log_.ReadAll(kTopic)[1].value));
  EXPECT_TRUE(envelope.has_burn_requested());
}

// A chain clock a week ahead (Anvil's evm_increaseTime) moves received_at,
// while signatures are still checked against the wall clock.
TEST_F(WriteRoutesTest, RecordsAreStampedByTheUserEventClockAndSignedByTheWallClock) {
  stamp_ = kNow + 7 * 86'400;
  HttpResult r = PostIntent(IntentBody());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json().at("received_at").as_int64(), stamp_);
  chainflow::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(log_.ReadAll(kTopic)[0].value));
  EXPECT_EQ(envelope.intent_submitted().received_at(), static_cast<uint64_t>(stamp_));

  std::string body = HookBody("evt_9");
  r = PostHook(body, ingest::webhook::SignWebhook(kHookSecret, now_, body));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(envelope.ParseFromString(log_.ReadAll(kTopic)[1].value));
  EXPECT_EQ(envelope.mint_requested().received_at(), static_cast<uint64_t>(stamp_));
  // A signature stamped with the user clock's (chain) time is out of the
  // wall clock's window: nothing appended.
  r = PostHook(HookBody("evt_10"), ingest::webhook::SignWebhook(kHookSecret, stamp_,
                                                                HookBody("evt_10")));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(Appended(), 2u);
}

TEST_F(WriteRoutesTest, WebhookRejectionsAppendNothing) {
  std::string body = HookBody("evt_9");
  EXPECT_EQ(PostHook(body, ingest::webhook::SignWebhook("wrong-secret-012345", now_, body)).status,
            401);
  EXPECT_EQ(PostHook(body, ingest::webhook::SignWebhook(kHookSecret, now_ - 301, body)).status,
            401);  // stale
  EXPECT_EQ(client_->Send("POST", "/v1/webhooks/pay", body).status, 401);  // unsigned
  HttpResult r = client_->Send("POST", "/v1/webhooks/nope", body,
                               {{"Webhook-Signature",
                                 ingest::webhook::SignWebhook(kHookSecret, now_, body)}});
  EXPECT_EQ(r.status, 404);
  std::string bad = R"({"id":"evt_3","type":"payment.succeeded","data":{"account":"0x12"}})";
  r = PostHook(bad, ingest::webhook::SignWebhook(kHookSecret, now_, bad));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r), "data.account: expected 0x + 40 hex digits");
  std::string ignored = HookBody("evt_4", "customer.created");
  r = PostHook(ignored, ingest::webhook::SignWebhook(kHookSecret, now_, ignored));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("status").as_string(), "ignored");
  EXPECT_EQ(Appended(), 0u);
}

}  // namespace
}  // namespace chainflow::api::handlers
