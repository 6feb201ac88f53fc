// GET /v1/balances/{address} against a real PostgreSQL (CHAINFLOW_TEST_PG_URL,
// default postgresql://chainflow@127.0.0.1:5433/chainflow) in its own
// database cf_api_bal_<pid>, created with the projector's own migrations.
// Skipped when PostgreSQL cannot be reached.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "tests/unit/api/handlers/pg_api_env.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::api::handlers {
namespace {

using api::testing::HttpResult;
using api::testing::TestClient;
namespace json = boost::json;

constexpr char kMaxU256[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

std::string Addr(int n) { return fmt::format("0x{:040x}", n); }
const std::string kAlice = Addr(0xa1);
const std::string kT1 = Addr(0x71), kT2 = Addr(0x72), kNft = Addr(0x1155);

class BalancesPgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = std::make_unique<testing::PgApiEnv>("cf_api_bal",
                                               std::vector<std::string>{"anvil", "base"});
    if (!env_->skip_reason().empty()) return;
    {
      pqxx::connection c(env_->url());
      pqxx::work tx(c);
      auto fungible = [&](const std::string& chain, const std::string& token,
                          const std::string& account, const std::string& balance, int block) {
        tx.exec_params("INSERT INTO chainflow.token_balances VALUES ($1, $2, $3, $4::numeric, $5)",
                       chain, token, account, balance, block);
      };
      fungible("anvil", kT2, kAlice, kMaxU256, 12);
      fungible("anvil", kT1, kAlice, "700", 11);
      fungible("base", kT1, kAlice, "5", 3);
      fungible("anvil", Addr(0x73), kAlice, "0", 9);  // spent: not listed
      fungible("anvil", kT1, Addr(0xb0b), "300", 11);  // someone else
      tx.exec_params("INSERT INTO chainflow.nft_balances VALUES ($1, $2, $3::numeric, $4, $5)",
                     "anvil", kNft, "42", kAlice, "3");
      tx.commit();
    }
  }

  static void TearDownTestSuite() { env_.reset(); }

  void SetUp() override {
    if (!env_->skip_reason().empty()) GTEST_SKIP() << env_->skip_reason();
    client_ = std::make_unique<TestClient>(env_->port());
  }

  // "chain/token=balance@block" per fungible item, in answer order.
  static std::vector<std::string> Fungible(const json::value& body) {
    std::vector<std::string> out;
    for (const auto& item : body.at("fungible").as_array()) {
      const auto& o = item.as_object();
      out.push_back(fmt::format("{}/{}={}@{}", std::string(o.at("chain").as_string()),
                                std::string(o.at("token").as_string()),
                                std::string(o.at("balance").as_string()),
                                o.at("block_number").as_int64()));
    }
    return out;
  }

  static inline std::unique_ptr<testing::PgApiEnv> env_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(BalancesPgTest, ListsNonZeroFungibleAndErc1155BalancesAsDecimalStrings) {
  std::string upper = "0x" + std::string(38, '0') + "A1";  // any case
  HttpResult r = client_->Get("/v1/balances/" + upper);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value body = r.Json();
  EXPECT_EQ(body.at("address").as_string(), kAlice);
  EXPECT_EQ(Fungible(body), (std::vector<std::string>{
                                "anvil/" + kT1 + "=700@11",
                                "anvil/" + kT2 + "=" + std::string(kMaxU256) + "@12",
                                "base/" + kT1 + "=5@3"}));
  const auto& erc1155 = body.at("erc1155").as_array();
  ASSERT_EQ(erc1155.size(), 1u);
  EXPECT_EQ(erc1155[0].at("contract").as_string(), kNft);
  EXPECT_EQ(erc1155[0].at("token_id").as_string(), "42");
  EXPECT_EQ(erc1155[0].at("balance").as_string(), "3");
}

TEST_F(BalancesPgTest, FiltersByChainAndToken) {
  HttpResult r = client_->Get("/v1/balances/" + kAlice + "?chain=anvil&token=" + kT1);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Fungible(r.Json()), std::vector<std::string>{"anvil/" + kT1 + "=700@11"});
  EXPECT_TRUE(r.Json().at("erc1155").as_array().empty());
  r = client_->Get("/v1/balances/" + kAlice + "?chain=base&token=");  // empty = absent
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Fungible(r.Json()), std::vector<std::string>{"base/" + kT1 + "=5@3"});
  r = client_->Get("/v1/balances/" + Addr(0xee));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.Json().at("fungible").as_array().empty());
}

TEST_F(BalancesPgTest, BadInputIs400NamingTheField) {
  struct Case {
    std::string target, field;
  };
  for (const Case& c : {Case{"/v1/balances/0x123", "address"},
                        Case{"/v1/balances/" + kAlice + "?chain=nope", "chain"},
                        Case{"/v1/balances/" + kAlice + "?token=0xzz", "token"}}) {
    HttpResult r = client_->Get(c.target);
    EXPECT_EQ(r.status, 400) << c.target;
    json::value body = r.Json();
    EXPECT_EQ(body.at("error").at("code").as_string(), "invalid_argument") << r.body;
    std::string message(body.at("error").at("message").as_string());
    EXPECT_EQ(message.rfind(c.field, 0), 0u) << message;
  }
}

}  // namespace
}  // namespace chainflow::api::handlers
