// GET /v1/intents/{id} against a real PostgreSQL (CHAINFLOW_TEST_PG_URL,
// default postgresql://chainflow@127.0.0.1:5433/chainflow) in its own
// database cf_api_int_<pid>, filled by the intents projection itself from
// IntentStatusChanged records. Skipped when PostgreSQL cannot be reached.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "projections/intents/intents_projection.h"
#include "tests/unit/api/handlers/pg_api_env.h"
#include "tests/unit/api/support/test_client.h"
#include "tests/unit/projections/intent_events.h"

namespace chainflow::api::handlers {
namespace {

using api::testing::HttpResult;
using api::testing::TestClient;
using projections::testing::IntentIdFor;
using projections::testing::IntentRecord;
namespace json = boost::json;

const std::string kTopic = "cf.intents";
const std::string kA = IntentIdFor(0xa), kB = IntentIdFor(0xb);

engine::log::Record At(int64_t offset, std::string value) {
  engine::log::Record r;
  r.topic = kTopic;
  r.partition = core::PartitionId(0);
  r.offset = core::Offset(offset);
  r.key = "anvil:token:payer";
  r.value = std::move(value);
  return r;
}

class IntentsPgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = std::make_unique<testing::PgApiEnv>("cf_api_int");
    if (!env_->skip_reason().empty()) return;
    projection_ = std::make_unique<projections::intents::IntentsProjection>(env_->conn());
  }

  static void TearDownTestSuite() {
    projection_.reset();
    env_.reset();
  }

  void SetUp() override {
    if (!env_->skip_reason().empty()) GTEST_SKIP() << env_->skip_reason();
    client_ = std::make_unique<TestClient>(env_->port());
  }

  static void Apply(const std::vector<engine::log::Record>& batch) {
    auto report = projection_->Apply(batch);
    ASSERT_TRUE(report.has_value()) << report.error().ToString();
  }

  // The intent's status as GET /v1/intents/{id} answers it.
  std::string StatusOf(const std::string& id) {
    HttpResult r = client_->Get("/v1/intents/" + id);
    if (r.status != 200) return fmt::format("HTTP {} {}", r.status, r.body);
    return std::string(r.Json().at("status").as_string());
  }

  static inline std::unique_ptr<testing::PgApiEnv> env_;
  static inline std::unique_ptr<projections::intents::IntentsProjection> projection_;
  std::unique_ptr<TestClient> client_;
};

// One test: the steps share the projection's offsets.
TEST_F(IntentsPgTest, ServesEachTransitionAndIgnoresRedeliveredRecords) {
  const std::vector<engine::log::Record> submitted{
      At(0, IntentRecord(kA, v1::INTENT_STATUS_SUBMITTED)),
      At(1, IntentRecord(kB, v1::INTENT_STATUS_SUBMITTED)),
  };
  Apply(submitted);
  HttpResult r = client_->Get("/v1/intents/" + kB);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value body = r.Json();
  EXPECT_EQ(body, json::parse(fmt::format(
                      R"({{"intent_id":"{}","kind":"clap","chain":"anvil","token":"{}",)"
                      R"("payer":"{}","payee":"{}","amount":"1000","memo":"thanks",)"
                      R"("status":"submitted","reason":"","submitted_at":1700000000,)"
                      R"("decided_at":null,"expires_at":1700086400,"epoch":472222,)"
                      R"("available":null}})",
                      kB, projections::testing::IntentAddr(9).ToHex(),
                      projections::testing::IntentAddr(1).ToHex(),
                      projections::testing::IntentAddr(2).ToHex())))
      << r.body;

  Apply({At(2, IntentRecord(kA, v1::INTENT_STATUS_APPROVED))});
  r = client_->Get("/v1/intents/" + kA);
  ASSERT_EQ(r.status, 200) << r.body;
  body = r.Json();
  EXPECT_EQ(body.at("status").as_string(), "approved");
  EXPECT_EQ(body.at("decided_at").as_int64(), 1700003600);
  EXPECT_EQ(body.at("available").as_string(), "5000");  // a decimal string, not a number

  // Redelivered: the submissions again change nothing.
  Apply(submitted);
  EXPECT_EQ(StatusOf(kA), "approved");

  // Settled, then the approval redelivered along with B's rejection.
  Apply({At(3, IntentRecord(kA, v1::INTENT_STATUS_SETTLED))});
  Apply({At(2, IntentRecord(kA, v1::INTENT_STATUS_APPROVED)),
         At(4, IntentRecord(kB, v1::INTENT_STATUS_REJECTED))});
  EXPECT_EQ(StatusOf(kA), "settled");
  EXPECT_EQ(StatusOf(kB), "rejected");
  r = client_->Get("/v1/intents/" + kB);
  EXPECT_EQ(r.Json().at("reason").as_string(), "available 5000 < amount 1000000");

  // Any case names the same intent.
  std::string upper = kA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(StatusOf(upper), "settled");
}

TEST_F(IntentsPgTest, UnknownIdIs404) {
  HttpResult r = client_->Get("/v1/intents/" + IntentIdFor(0xdead));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "not_found") << r.body;
}

TEST_F(IntentsPgTest, MalformedIdIs400NamingTheField) {
  for (const std::string& id : {std::string("abc"), kA + "0", kA.substr(1),
                                std::string(32, 'g'), "0x" + kA.substr(2)}) {
    HttpResult r = client_->Get("/v1/intents/" + id);
    EXPECT_EQ(r.status, 400) << id;
    json::value body = r.Json();
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.at("error").at("code").as_string(), "invalid_argument") << r.body;
    std::string message(body.at("error").at("message").as_string());
    EXPECT_EQ(message.rfind("id: ", 0), 0u) << message;
  }
}

}  // namespace
}  // namespace chainflow::api::handlers
