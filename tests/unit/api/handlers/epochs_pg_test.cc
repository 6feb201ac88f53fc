// GET /v1/epochs/{n} and GET /v1/accruals/{address} against a real
// PostgreSQL (pg_api_env.h), filled by the settlements and accruals
// projections themselves from their records. Skipped when PostgreSQL cannot
// be reached.
#include <gtest/gtest.h>

#include <cctype>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "engine/core/check.h"
#include "projections/accruals/accruals_view.h"
#include "projections/pg/keyed_projection.h"
#include "projections/settlements/settlements_view.h"
#include "tests/unit/api/handlers/pg_api_env.h"
#include "tests/unit/api/support/test_client.h"
#include "tests/unit/projections/events.h"
#include "tests/unit/projections/settlement_events.h"

namespace chainflow::api::handlers {
namespace {

using api::testing::HttpResult;
using api::testing::TestClient;
using projections::testing::AccountSettledMessage;
using projections::testing::AccrualMessage;
using projections::testing::EpochSettledMessage;
using projections::testing::MakeRecord;
using projections::testing::Serialize;
using projections::testing::SettleAddr;
namespace json = boost::json;

constexpr int kAccounts = 7;  // settled accounts of epoch 7
constexpr int kDays = 5;      // accrual days of account 1

class EpochsPgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = std::make_unique<testing::PgApiEnv>("cf_api_epochs");
    if (!env_->skip_reason().empty()) return;
    projections::pg::KeyedProjection settlements(env_->conn(),
                                                 projections::settlements::View());
    std::vector<engine::log::Record> batch{MakeRecord(
        "cf.settlements", 0, 0,
        Serialize(EpochSettledMessage(7, {{"anvil", 9, 3500, 4}, {"anvil", 3, 12, 1}})))};
    for (int a = 0; a < kAccounts; ++a) {
      batch.push_back(MakeRecord("cf.settlements", 1, a,
                                 Serialize(AccountSettledMessage(7, static_cast<uint8_t>(a + 1),
                                                                 100 * a, 10 * a))));
    }
    batch.push_back(MakeRecord("cf.settlements", 1, kAccounts,
                               Serialize(AccountSettledMessage(8, 1, 1, 0))));
    auto report = settlements.Apply(batch);
    CF_CHECK(report.has_value(), "{}", report.error().ToString());
    projections::pg::KeyedProjection accruals(env_->conn(), projections::accruals::View());
    batch.clear();
    for (int d = 0; d < kDays; ++d) {
      batch.push_back(MakeRecord("cf.accruals", 0, 2 * d,
                                 Serialize(AccrualMessage(d, 1, 1'000'000 + d, 9))));
      batch.push_back(MakeRecord("cf.accruals", 0, 2 * d + 1,
                                 Serialize(AccrualMessage(d, 1, 50 + d, 3))));
    }
    batch.push_back(MakeRecord("cf.accruals", 0, 2 * kDays, Serialize(AccrualMessage(0, 2, 7))));
    report = accruals.Apply(batch);
    CF_CHECK(report.has_value(), "{}", report.error().ToString());
  }

  static void TearDownTestSuite() { env_.reset(); }

  void SetUp() override {
    if (!env_->skip_reason().empty()) GTEST_SKIP() << env_->skip_reason();
    client_ = std::make_unique<TestClient>(env_->port());
  }

  json::value GetJson(const std::string& target, int want_status = 200) {
    HttpResult r = client_->Get(target);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    return r.Json();
  }

  // Every page of `target` (which takes &cursor=), concatenated from `member`.
  json::array AllPages(const std::string& target, const std::string& member, int* pages) {
    json::array all;
    std::string cursor;
    *pages = 0;
    for (int i = 0; i < 100; ++i) {
      json::value body = GetJson(target + (cursor.empty() ? "" : "&cursor=" + cursor));
      ++*pages;
      for (const auto& item : body.at(member).as_array()) all.push_back(item);
      if (body.at("next_cursor").is_null()) break;
      cursor = std::string(body.at("next_cursor").as_string());
    }
    return all;
  }

  void Expect400(const std::string& target, const std::string& field) {
    HttpResult r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    json::value body = r.Json();
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.at("error").at("code").as_string(), "invalid_argument") << r.body;
    std::string message(body.at("error").at("message").as_string());
    EXPECT_EQ(message.rfind(field + ": ", 0), 0u) << target << ": " << message;
  }

  static inline std::unique_ptr<testing::PgApiEnv> env_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(EpochsPgTest, ServesTheEpochRecordWithItsTotals) {
  std::string digest = "0x";
  for (int i = 0; i < 32; ++i) digest += "ab";
  const std::string t3 = SettleAddr(3).ToHex(), t9 = SettleAddr(9).ToHex();
  EXPECT_EQ(GetJson("/v1/epochs/7"),
            json::parse(fmt::format(
                R"({{"epoch":7,"start":4233600,"end":4838400,"settled":3,"rejected":1,)"
                R"("digest":"{}","totals":[)"
                R"({{"chain":"anvil","token":"{}","amount":"12","intents":1}},)"
                R"({{"chain":"anvil","token":"{}","amount":"3500","intents":4}}]}})",
                digest, t3, t9)));
  // accounts=false is the default.
  EXPECT_FALSE(GetJson("/v1/epochs/7?accounts=false").as_object().contains("accounts"));
}

TEST_F(EpochsPgTest, AccountsArePagedInKeyOrderWithCursors) {
  for (int limit : {1, 2, 3, 7, 100}) {
    int pages = 0;
    json::array all = AllPages(fmt::format("/v1/epochs/7?accounts=true&limit={}", limit),
                               "accounts", &pages);
    EXPECT_EQ(pages, (kAccounts + limit - 1) / limit) << limit;
    ASSERT_EQ(all.size(), static_cast<size_t>(kAccounts)) << limit;
    for (int a = 0; a < kAccounts; ++a) {
      const json::object& item = all[a].as_object();
      EXPECT_EQ(item.at("account").as_string(), SettleAddr(static_cast<uint8_t>(a + 1)).ToHex());
      EXPECT_EQ(item.at("chain").as_string(), "anvil");
      EXPECT_EQ(item.at("token").as_string(), SettleAddr(9).ToHex());
      EXPECT_EQ(item.at("debited").as_string(), std::to_string(100 * a));
      EXPECT_EQ(item.at("credited").as_string(), std::to_string(10 * a));
      EXPECT_EQ(item.at("paid").as_int64(), a > 0 ? 1 : 0);
    }
  }
  // Epoch 8 has its one account (and no EpochSettled: 404 below).
  HttpResult r = client_->Get("/v1/epochs/8?accounts=true");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "not_found");
}

TEST_F(EpochsPgTest, MalformedInputIs400NamingTheField) {
  for (const char* n : {"abc", "-1", "1.5", "9223372036854775808", "0x7"}) {
    Expect400(std::string("/v1/epochs/") + n, "n");
  }
  Expect400("/v1/epochs/7?accounts=yes", "accounts");
  Expect400("/v1/epochs/7?accounts=true&limit=0", "limit");
  Expect400("/v1/epochs/7?accounts=true&limit=1001", "limit");
  Expect400("/v1/epochs/7?accounts=true&cursor=bm90IGEgY3Vyc29y", "cursor");
  // A cursor of epoch 7 replayed against epoch 8 is refused.
  json::value page = GetJson("/v1/epochs/7?accounts=true&limit=2");
  std::string cursor(page.at("next_cursor").as_string());
  Expect400("/v1/epochs/8?accounts=true&cursor=" + cursor, "cursor");
  // An epoch that is well formed but not settled: 404.
  EXPECT_EQ(client_->Get("/v1/epochs/9223372036854775807").status, 404);
}

TEST_F(EpochsPgTest, AccrualsNewestDayFirstFilteredAndPaged) {
  const std::string account = SettleAddr(1).ToHex();
  int pages = 0;
  json::array all = AllPages("/v1/accruals/" + account + "?limit=3", "items", &pages);
  ASSERT_EQ(all.size(), static_cast<size_t>(2 * kDays));
  EXPECT_EQ(pages, 4);
  for (size_t i = 0; i < all.size(); ++i) {
    const json::object& item = all[i].as_object();
    const int64_t day = kDays - 1 - static_cast<int64_t>(i / 2);
    EXPECT_EQ(item.at("day").as_int64(), day) << i;
    // Within a day by token: 0x...03 before 0x...09.
    const uint8_t token = i % 2 == 0 ? 3 : 9;
    EXPECT_EQ(item.at("token").as_string(), SettleAddr(token).ToHex()) << i;
    const uint64_t balance = (token == 9 ? 1'000'000 : 50) + static_cast<uint64_t>(day);
    EXPECT_EQ(item.at("balance").as_string(), std::to_string(balance));
    EXPECT_EQ(item.at("accrued").as_string(), std::to_string(balance * 25 / 10000));
    EXPECT_EQ(item.at("carry").as_int64(), static_cast<int64_t>(balance * 25 % 10000));
    EXPECT_EQ(item.at("end").as_int64(), (day + 1) * 86400);
    EXPECT_EQ(item.at("rate_bps").as_int64(), 25);
  }
  // Filtered by token (any case), paged.
  std::string upper = SettleAddr(9).ToHex();
  for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  all = AllPages("/v1/accruals/" + account + "?chain=anvil&token=" + upper + "&limit=2", "items",
                 &pages);
  ASSERT_EQ(all.size(), static_cast<size_t>(kDays));
  EXPECT_EQ(pages, 3);
  for (const auto& item : all) EXPECT_EQ(item.at("token").as_string(), SettleAddr(9).ToHex());
  // Another account; an account with none.
  EXPECT_EQ(GetJson("/v1/accruals/" + SettleAddr(2).ToHex()).at("items").as_array().size(), 1u);
  EXPECT_TRUE(GetJson("/v1/accruals/" + SettleAddr(42).ToHex()).at("items").as_array().empty());

  Expect400("/v1/accruals/0x1234", "address");
  Expect400("/v1/accruals/" + account + "?chain=nope", "chain");
  Expect400("/v1/accruals/" + account + "?token=0x12", "token");
  Expect400("/v1/accruals/" + account + "?limit=x", "limit");
  json::value page = GetJson("/v1/accruals/" + account + "?limit=1");
  std::string cursor(page.at("next_cursor").as_string());
  Expect400("/v1/accruals/" + SettleAddr(2).ToHex() + "?cursor=" + cursor, "cursor");
  Expect400("/v1/accruals/" + account + "?chain=anvil&cursor=" + cursor, "cursor");
}

}  // namespace
}  // namespace chainflow::api::handlers
