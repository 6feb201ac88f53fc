// The write path against the real broker: `chainflow serve` appends
// IntentSubmitted / MintRequested records to <prefix>.user.events, exactly
// once per idempotency key or webhook event id (across a restart too), and
// every rejected request leaves the topic untouched.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/auth/hmac_request.h"
#include "chainflow/v1/events.pb.h"
#include "engine/core/u256.h"
#include "engine/log/admin.h"
#include "engine/log/consumer.h"
#include "ingest/webhook/signature.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/unit/api/auth/jwt_test_util.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::testing {
namespace {

namespace core = engine::core;
namespace log = engine::log;
using api::testing::HttpResult;
using api::testing::TestClient;

constexpr char kKeySecret[] = "it-partner-secret-0123456789";
constexpr char kHookSecret[] = "it-whsec-0123456789abcdef";
constexpr char kToken[] = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
constexpr char kPayer[] = "0x1111111111111111111111111111111111111111";
constexpr char kPayee[] = "0x2222222222222222222222222222222222222222";

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IntentBody(const std::string& amount = "\"1000\"",
                       const std::string& payee = kPayee) {
  return fmt::format(
      R"({{"kind":"clap","payer":"{}","payee":"{}","chain":"mainnet","token":"{}",)"
      R"("amount":{},"memo":"thanks"}})",
      kPayer, payee, kToken, amount);
}

std::string HookBody(const std::string& id) {
  return fmt::format(
      R"({{"id":"{}","type":"payment.succeeded","created":1700000000,)"
      R"("data":{{"account":"{}","chain":"mainnet","token":"{}","amount":"500"}}}})",
      id, kPayer, kToken);
}

class UserEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    env_ = std::make_unique<PipelineEnv>(
        "uev", 4, 5000,
        fmt::format("[[contracts]]\nchain = \"mainnet\"\nstandard = \"erc20\"\naddress = \"{}\"\n"
                    "[auth]\n[[auth.keys]]\nid = \"partner\"\nsecret_env = \"IT_KEY_SECRET\"\n"
                    "[[auth.webhooks]]\nprovider = \"pay\"\nsecret = \"{}\"\n"
                    "[intents]\nidempotency_dir = \"/tmp/cf_it_idem_{}\"\n"
                    // Counts below are of intents and webhooks only: no clock ticks.
                    "clock_interval_ms = 0\n",
                    kToken, kHookSecret, ::getpid()));
    idem_dir_ = fmt::format("/tmp/cf_it_idem_{}", ::getpid());
    topic_ = env_->prefix() + ".user.events";
    StartServe();
    auto admin = log::Admin::Open("127.0.0.1:9092");
    ASSERT_TRUE(admin) << admin.error().ToString();
    admin_ = std::move(admin).value();
  }

  void TearDown() override {
    StopServe();
    std::error_code ec;
    std::filesystem::remove_all(idem_dir_, ec);
  }

  void StartServe() {
    serve_ = std::make_unique<Subprocess>(env_->Argv({"serve"}),
                                          std::map<std::string, std::string>{
                                              {"IT_KEY_SECRET", kKeySecret}});
    client_ = std::make_unique<TestClient>(static_cast<uint16_t>(env_->api_port()));
    for (int i = 0; i < 300; ++i) {
      if (client_->Get("/healthz").status == 200) return;
      ASSERT_TRUE(serve_->Running()) << serve_->Stderr();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "serve did not answer /healthz: " << serve_->Stderr();
  }

  void StopServe() {
    client_.reset();
    if (serve_ && serve_->Running()) {
      serve_->Kill(SIGTERM);
      EXPECT_EQ(serve_->Wait(std::chrono::seconds(30)), 0) << serve_->Stderr();
    }
    serve_.reset();
  }

  // Records in the topic: the sum of its partitions' high watermarks. An
  // acknowledged append is visible here as soon as the API has answered.
  int64_t Count() {
    int64_t total = 0;
    for (int p = 0; p < 4; ++p) {
      auto w = admin_->QueryWatermarks(topic_, core::PartitionId(p));
      EXPECT_TRUE(w) << w.error().ToString();
      if (w) total += w.value().high.value();
    }
    return total;
  }

  std::vector<log::Record> ReadAll(size_t want) {
    log::ConsumerOptions options;
    options.brokers = "127.0.0.1:9092";
    options.group_id = "it-user-events-reader";
    auto consumer = log::Consumer::Open(options);
    EXPECT_TRUE(consumer) << consumer.error().ToString();
    std::vector<log::TopicPartitionOffset> assignment;
    for (int p = 0; p < 4; ++p) {
      assignment.push_back({topic_, core::PartitionId(p), log::kOffsetBeginning});
    }
    EXPECT_TRUE(consumer.value()->Assign(assignment).ok());
    std::vector<log::Record> out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
      auto batch = consumer.value()->Poll(100, std::chrono::milliseconds(200));
      EXPECT_TRUE(batch) << batch.error().ToString();
      if (!batch) break;
      for (auto& r : batch.value()) out.push_back(std::move(r));
    }
    return out;
  }

  HttpResult PostSigned(const std::string& body, const std::string& idem,
                        const std::string& secret = kKeySecret) {
    std::string ts = std::to_string(Now());
    std::string sig = api::auth::SignCanonical(
        secret, api::auth::CanonicalRequest("POST", "/v1/intents", ts, idem, body));
    return client_->Send("POST", "/v1/intents", body,
                         {{"X-Chainflow-Key", "partner"},
                          {"X-Chainflow-Timestamp", ts},
                          {"X-Chainflow-Signature", sig},
                          {"Idempotency-Key", idem}});
  }

  HttpResult PostJwt(const std::string& body, const std::string& idem, int64_t exp,
                     const std::string& secret = kKeySecret) {
    std::string token = api::auth::testing::MakeJwt(R"({"alg":"HS256","kid":"partner"})",
                                                    fmt::format(R"({{"exp":{}}})", exp), secret);
    return client_->Send("POST", "/v1/intents", body,
                         {{"Authorization", "Bearer " + token}, {"Idempotency-Key", idem}});
  }

  HttpResult PostHook(const std::string& body, const std::string& signature) {
    return client_->Send("POST", "/v1/webhooks/pay", body, {{"Webhook-Signature", signature}});
  }

  // Expects `r` to have `status`, its error message to start with
  // `message_prefix`, and the topic to still hold `count` records.
  void ExpectRejected(const HttpResult& r, int status, const std::string& message_prefix,
                      int64_t count, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    if (!message_prefix.empty() && r.Json().is_object()) {
      std::string message(r.Json().at("error").at("message").as_string());
      EXPECT_EQ(message.rfind(message_prefix, 0), 0u) << what << ": " << message;
    }
    EXPECT_EQ(Count(), count) << what << " appended a record";
  }

  std::unique_ptr<PipelineEnv> env_;
  std::string idem_dir_;
  std::string topic_;
  std::unique_ptr<Subprocess> serve_;
  std::unique_ptr<TestClient> client_;
  std::unique_ptr<log::Admin> admin_;
};

TEST_F(UserEventsTest, ValidIntentIsAppendedOnceWithPayloadAndHeaders) {
  ASSERT_EQ(Count(), 0);
  int64_t before = Now();
  HttpResult r = PostSigned(IntentBody(), "order-1");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string intent_id(r.Json().at("intent_id").as_string());
  ASSERT_EQ(Count(), 1);

  std::vector<log::Record> records = ReadAll(1);
  ASSERT_EQ(records.size(), 1u);
  const log::Record& record = records[0];
  EXPECT_EQ(record.key, fmt::format("mainnet:{}:{}", kToken, kPayer));
  EXPECT_EQ(record.partition, log::PartitionForKey(record.key, 4));
  chainflow::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(record.value));
  EXPECT_EQ(envelope.id(), "intent/" + intent_id);
  ASSERT_TRUE(envelope.has_intent_submitted());
  const auto& intent = envelope.intent_submitted();
  EXPECT_EQ(intent.intent_id(), intent_id);
  EXPECT_EQ(intent.kind(), chainflow::v1::INTENT_KIND_CLAP);
  EXPECT_EQ(core::U256FromBigEndian(intent.amount()).value(), core::U256(1000));
  EXPECT_EQ(intent.memo(), "thanks");
  EXPECT_EQ(intent.api_key_id(), "partner");
  EXPECT_EQ(intent.idempotency_key(), "order-1");
  EXPECT_GE(static_cast<int64_t>(intent.received_at()), before);
  EXPECT_LE(static_cast<int64_t>(intent.received_at()), Now());
  ASSERT_NE(record.FindHeader("ce_type"), nullptr);
  EXPECT_EQ(*record.FindHeader("ce_type"), "chainflow.user.IntentSubmitted");
  EXPECT_EQ(*record.FindHeader("ce_id"), "intent/" + intent_id);
  EXPECT_EQ(*record.FindHeader("ce_source"), "chainflow/api");
  EXPECT_EQ(*record.FindHeader("ce_specversion"), "1.0");
  EXPECT_EQ(*record.FindHeader("content-type"), "application/protobuf");

  // A retry (signed again) appends nothing and answers the same intent.
  HttpResult retry = PostSigned(IntentBody(), "order-1");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.Json().at("intent_id").as_string(), intent_id);
  EXPECT_EQ(Count(), 1);

  // So does a retry after serve restarts: the dedup store is on disk.
  StopServe();
  StartServe();
  retry = PostSigned(IntentBody(), "order-1");
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.Json().at("intent_id").as_string(), intent_id);
  EXPECT_EQ(Count(), 1);

  // A valid JWT is the other way in.
  HttpResult jwt = PostJwt(IntentBody(), "order-2", Now() + 300);
  EXPECT_EQ(jwt.status, 201) << jwt.body;
  EXPECT_EQ(Count(), 2);
}

TEST_F(UserEventsTest, EveryRejectedRequestAppendsNothing) {
  ASSERT_EQ(Count(), 0);
  const std::string body = IntentBody();
  ExpectRejected(client_->Send("POST", "/v1/intents", body, {{"Idempotency-Key", "r1"}}), 401,
                 "credentials required", 0, "no credentials");
  ExpectRejected(PostSigned(body, "r2", "not-the-secret-0123456789"), 401,
                 "X-Chainflow-Signature", 0, "bad HMAC signature");
  ExpectRejected(PostJwt(body, "r3", Now() - 3600), 401, "bearer token: expired", 0,
                 "expired JWT");
  ExpectRejected(PostJwt(body, "r4", Now() + 300, "forged-secret-0123456789"), 401,
                 "bearer token: bad signature", 0, "forged JWT");
  ExpectRejected(PostSigned(body + std::string(20000, ' '), "r5"), 413, "request body exceeds",
                 0, "oversized body");
  ExpectRejected(PostSigned(R"({"kind":"clap",)", "r6"), 400, "body: malformed JSON", 0,
                 "malformed JSON");
  ExpectRejected(PostSigned(IntentBody("\"-1000\""), "r7"), 400, "amount:", 0,
                 "negative amount");
  ExpectRejected(
      PostSigned(IntentBody("\"115792089237316195423570985008687907853269984665640564039457584007"
                            "913129639936\""),
                 "r8"),
      400, "amount: exceeds 2^256-1", 0, "amount overflowing uint256");
  ExpectRejected(PostSigned(IntentBody("\"1\"", "0x22222222222222222222222222222222222222"), "r9"),
                 400, "payee:", 0, "bad address");

  // Webhooks: a valid delivery appends once; a bad signature and a replay
  // of the valid one append nothing.
  std::string hook = HookBody("evt_it_1");
  HttpResult accepted = PostHook(hook, ingest::webhook::SignWebhook(kHookSecret, Now(), hook));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.Json().at("status").as_string(), "accepted");
  ASSERT_EQ(Count(), 1);
  ExpectRejected(PostHook(hook, ingest::webhook::SignWebhook("wrong-whsec-0123456789", Now(),
                                                             hook)),
                 401, "Webhook-Signature", 1, "bad webhook signature");
  ExpectRejected(PostHook(hook, ingest::webhook::SignWebhook(kHookSecret, Now() - 3600, hook)),
                 401, "Webhook-Signature", 1, "stale webhook signature");
  HttpResult replay = PostHook(hook, ingest::webhook::SignWebhook(kHookSecret, Now(), hook));
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.Json().at("status").as_string(), "duplicate");
  EXPECT_EQ(Count(), 1) << "a replayed webhook appended a record";

  std::vector<log::Record> records = ReadAll(1);
  ASSERT_EQ(records.size(), 1u);
  chainflow::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(records[0].value));
  EXPECT_TRUE(envelope.has_mint_requested());
  EXPECT_EQ(envelope.id(), "webhook/pay/evt_it_1");
  EXPECT_EQ(*records[0].FindHeader("ce_type"), "chainflow.user.MintRequested");
}

}  // namespace
}  // namespace chainflow::testing
