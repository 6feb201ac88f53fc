// The NFT endpoints against a real PostgreSQL (CHAINFLOW_TEST_PG_URL, default
// postgresql://chainflow@127.0.0.1:5433/chainflow). Each run creates its own
// database cf_api_test_<pid> with the projector's two tables, and drops it
// at the end. Skipped when PostgreSQL cannot be reached.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <tuple>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "api/handlers/service.h"
#include "tests/unit/api/handlers/fake_status_source.h"
#include "tests/unit/api/handlers/scratch_db.h"
#include "tests/unit/api/support/test_client.h"

// libpqxx 6.4 leaks the error PGresult of a connection the server
// terminated (ReconnectsAfterConnectionsAreKilled does that on purpose); keep
// LeakSanitizer builds green. Unused without ASan.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpq.so\n"; }

namespace chainflow::api::handlers {
namespace {

using api::testing::HttpResult;
using api::testing::TestClient;
namespace json = boost::json;

constexpr char kMaxU256[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";
constexpr char kZero[] = "0x0000000000000000000000000000000000000000";

std::string Addr(int n) { return fmt::format("0x{:040x}", n); }

const std::string kOwnerA = Addr(0xa1);
const std::string kOwnerB = Addr(0xb2);
const std::string kNobody = Addr(0xee);
const std::string kC1 = Addr(0xc1);  // ERC-721, 150 tokens of A
const std::string kC2 = Addr(0xc2);  // ERC-721, 50 tokens of A, 5 of B
const std::string kC3 = Addr(0xc3);  // ERC-1155, 40 holdings of A, 10 emptied
const std::string kC4 = Addr(0xc4);  // one token id in both tables

// One expected listing item.
struct Item {
  std::string chain;
  std::string contract;
  std::string token_id;  // decimal
  std::string standard;
  std::string balance;   // "" for erc721
};

// The order the API promises: chain, contract, numeric token id, standard.
bool Before(const Item& a, const Item& b) {
  auto numeric = [](const std::string& s) { return std::make_pair(s.size(), s); };
  return std::tie(a.chain, a.contract) < std::tie(b.chain, b.contract) ||
         (std::tie(a.chain, a.contract) == std::tie(b.chain, b.contract) &&
          std::make_pair(numeric(a.token_id), a.standard) <
              std::make_pair(numeric(b.token_id), b.standard));
}

class NftsPgTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = std::make_unique<testing::ScratchDatabase>("cf_api_test");
    if (!db_->skip_reason().empty()) return;
    pqxx::connection conn(db_->url());
    pqxx::work tx(conn);
    tx.exec(R"sql(
      CREATE SCHEMA chainflow;
      CREATE TABLE chainflow.nft_owners (
        chain text NOT NULL, contract text NOT NULL, token_id numeric(78,0) NOT NULL,
        owner text NOT NULL, block_number bigint NOT NULL, log_index int NOT NULL,
        tx_hash text NOT NULL, PRIMARY KEY (chain, contract, token_id));
      CREATE INDEX nft_owners_owner_idx ON chainflow.nft_owners (owner, chain, contract, token_id);
      CREATE TABLE chainflow.nft_balances (
        chain text NOT NULL, contract text NOT NULL, token_id numeric(78,0) NOT NULL,
        owner text NOT NULL, balance numeric(78,0) NOT NULL,
        PRIMARY KEY (chain, contract, token_id, owner));
      CREATE INDEX nft_balances_owner_idx
        ON chainflow.nft_balances (owner, chain, contract, token_id);
    )sql");
    auto owner_row = [&](const std::string& chain, const std::string& contract,
                         const std::string& token, const std::string& owner, int block) {
      tx.exec_params(
          "INSERT INTO chainflow.nft_owners VALUES ($1, $2, $3::numeric, $4, $5, $6, $7)", chain,
          contract, token, owner, block, block % 7, fmt::format("0x{:064x}", block));
    };
    auto balance_row = [&](const std::string& chain, const std::string& contract,
                           const std::string& token, const std::string& owner,
                           const std::string& balance) {
      tx.exec_params("INSERT INTO chainflow.nft_balances VALUES ($1, $2, $3::numeric, $4, $5)",
                     chain, contract, token, owner, balance);
    };
    for (int i = 1; i <= 149; ++i) {
      owner_row("anvil", kC1, std::to_string(i), kOwnerA, 1000 + i);
      expected_a_.push_back({"anvil", kC1, std::to_string(i), "erc721", ""});
    }
    owner_row("anvil", kC1, kMaxU256, kOwnerA, 999);
    expected_a_.push_back({"anvil", kC1, kMaxU256, "erc721", ""});
    for (int i = 0; i < 50; ++i) {
      std::string token = std::to_string(1000000 + i * 13);
      owner_row("anvil", kC2, token, kOwnerA, 2000 + i);
      expected_a_.push_back({"anvil", kC2, token, "erc721", ""});
    }
    for (int i = 0; i < 5; ++i) owner_row("anvil", kC2, std::to_string(i), kOwnerB, 3000 + i);
    for (int i = 0; i < 50; ++i) {
      std::string balance = i < 40 ? std::to_string(i + 1) : "0";
      balance_row("anvil", kC3, std::to_string(i), kOwnerA, balance);
      balance_row("anvil", kC3, std::to_string(i), kOwnerB, "7");
      if (i < 40) expected_a_.push_back({"anvil", kC3, std::to_string(i), "erc1155", balance});
    }
    balance_row("anvil", kC3, "99", kOwnerA, kMaxU256);
    expected_a_.push_back({"anvil", kC3, "99", "erc1155", kMaxU256});
    owner_row("anvil", kC4, "5", kOwnerA, 4000);
    balance_row("anvil", kC4, "5", kOwnerA, "3");
    expected_a_.push_back({"anvil", kC4, "5", "erc721", ""});
    expected_a_.push_back({"anvil", kC4, "5", "erc1155", "3"});
    for (int i = 0; i < 10; ++i) {
      owner_row("base", kC1, std::to_string(i), kOwnerA, 5000 + i);
      expected_a_.push_back({"base", kC1, std::to_string(i), "erc721", ""});
    }
    owner_row("anvil", kC1, "777777", kZero, 6000);  // burned
    tx.commit();
    std::sort(expected_a_.begin(), expected_a_.end(), Before);

    core::Config config;
    config.postgres.url = db_->url();
    config.postgres.pool_size = 2;
    config.chains.push_back(core::ChainConfig{.name = "anvil"});
    config.chains.push_back(core::ChainConfig{.name = "base"});
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    status_ = std::make_unique<testing::FakeStatusSource>();
    auto service = ApiService::Open(config, *status_, options);
    CF_CHECK(service.has_value(), "{}", service.error().ToString());
    service_ = std::move(service).value();
    CF_CHECK(service_->Start().ok(), "start");
  }

  static void TearDownTestSuite() {
    service_.reset();  // closes the pool's connections
    status_.reset();
    db_.reset();
  }

  void SetUp() override {
    if (!db_->skip_reason().empty()) GTEST_SKIP() << db_->skip_reason();
    client_ = std::make_unique<TestClient>(service_->port());
  }

  // Pages through `target` (which has a '?') with `limit`; checks page sizes.
  std::vector<Item> ListAll(const std::string& target, int limit, int* pages) {
    std::vector<Item> items;
    std::string cursor;
    *pages = 0;
    while (true) {
      std::string url = fmt::format("{}&limit={}", target, limit);
      if (!cursor.empty()) url += "&cursor=" + cursor;
      HttpResult r = client_->Get(url);
      EXPECT_EQ(r.status, 200) << url << " " << r.body;
      if (r.status != 200 || ++*pages > 1000) break;
      json::value v = r.Json();
      const json::array& page = v.at("items").as_array();
      for (const json::value& item : page) {
        const json::object& o = item.as_object();
        items.push_back({std::string(o.at("chain").as_string()),
                         std::string(o.at("contract").as_string()),
                         std::string(o.at("token_id").as_string()),
                         std::string(o.at("standard").as_string()),
                         o.contains("balance") ? std::string(o.at("balance").as_string()) : ""});
      }
      if (v.at("next_cursor").is_null()) {
        EXPECT_LE(page.size(), static_cast<size_t>(limit));
        break;
      }
      EXPECT_EQ(page.size(), static_cast<size_t>(limit));
      cursor = std::string(v.at("next_cursor").as_string());
    }
    return items;
  }

  static std::vector<Item> ExpectedWhere(bool (*keep)(const Item&)) {
    std::vector<Item> out;
    for (const Item& item : expected_a_) {
      if (keep(item)) out.push_back(item);
    }
    return out;
  }

  static void ExpectSame(const std::vector<Item>& got, const std::vector<Item>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(std::tie(got[i].chain, got[i].contract, got[i].token_id, got[i].standard,
                         got[i].balance),
                std::tie(want[i].chain, want[i].contract, want[i].token_id, want[i].standard,
                         want[i].balance))
          << "at " << i;
    }
  }

  static inline std::unique_ptr<testing::ScratchDatabase> db_;
  static inline std::vector<Item> expected_a_;
  static inline std::unique_ptr<testing::FakeStatusSource> status_;
  static inline std::unique_ptr<ApiService> service_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(NftsPgTest, GetsOwnerOfToken) {
  HttpResult r = client_->Get("/v1/nfts/anvil/" + kC1 + "/42");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, fmt::format(R"({{"chain":"anvil","contract":"{}","token_id":"42",)"
                                R"("owner":"{}","block_number":1042,"log_index":{},)"
                                R"("tx_hash":"0x{:064x}"}})",
                                kC1, kOwnerA, 1042 % 7, 1042));
}

TEST_F(NftsPgTest, NormalizesContractCaseAndTokenIdZeros) {
  std::string upper = "0X" + std::string(38, '0') + "C1";
  HttpResult r = client_->Get("/v1/nfts/anvil/" + upper + "/0042");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("contract").as_string(), kC1);
  EXPECT_EQ(r.Json().at("token_id").as_string(), "42");
}

TEST_F(NftsPgTest, MaxTokenIdIsADecimalString) {
  HttpResult r = client_->Get("/v1/nfts/anvil/" + kC1 + "/" + kMaxU256);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("token_id").as_string(), kMaxU256);
  EXPECT_EQ(r.Json().at("block_number").as_int64(), 999);
}

TEST_F(NftsPgTest, BurnedTokenHasZeroOwner) {
  HttpResult r = client_->Get("/v1/nfts/anvil/" + kC1 + "/777777");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("owner").as_string(), kZero);
}

TEST_F(NftsPgTest, MissingTokenIs404) {
  HttpResult r = client_->Get("/v1/nfts/anvil/" + kC1 + "/151");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(client_->Get("/v1/nfts/base/" + kC2 + "/1").status, 404);
}

TEST_F(NftsPgTest, BadInputIs400NamingTheField) {
  for (auto [target, field] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/nfts/goerli/" + kC1 + "/1", "chain"},
           {"/v1/nfts/anvil/" + kC1.substr(0, 41) + "/1", "contract"},
           {"/v1/nfts/anvil/" + kC1 + "/1e3", "token_id"},
           {"/v1/owners/" + kOwnerA + "/nfts?limit=5000", "limit"},
       }) {
    HttpResult r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(std::string(r.Json().at("error").at("message").as_string()).rfind(field + ":", 0),
              0u)
        << r.body;
  }
}

TEST_F(NftsPgTest, PaginatesEveryTokenExactlyOnceInOrder) {
  ASSERT_EQ(expected_a_.size(), 253u);  // 150 + 50 + 41 + 2 + 10 (SetUpTestSuite)
  int pages = 0;
  std::vector<Item> got = ListAll("/v1/owners/" + kOwnerA + "/nfts?x=1", 100, &pages);
  ExpectSame(got, expected_a_);
  EXPECT_EQ(pages, 3);
}

TEST_F(NftsPgTest, SmallPagesCrossEveryBoundary) {
  for (int limit : {1, 7, 41, 252, 253, 1000}) {
    int pages = 0;
    std::vector<Item> got = ListAll("/v1/owners/" + kOwnerA + "/nfts?x=1", limit, &pages);
    ExpectSame(got, expected_a_);
    EXPECT_EQ(pages, static_cast<int>((expected_a_.size() + limit - 1) / limit)) << limit;
  }
}

TEST_F(NftsPgTest, DefaultLimitIs100) {
  HttpResult r = client_->Get("/v1/owners/" + kOwnerA + "/nfts");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("items").as_array().size(), 100u);
  EXPECT_TRUE(r.Json().at("next_cursor").is_string());
  // Empty parameters count as absent.
  r = client_->Get("/v1/owners/" + kOwnerA + "/nfts?chain=&contract=&limit=&cursor=");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("items").as_array().size(), 100u);
  EXPECT_TRUE(r.Json().at("next_cursor").is_string());
}

TEST_F(NftsPgTest, FiltersByChainAndContract) {
  int pages = 0;
  ExpectSame(ListAll("/v1/owners/" + kOwnerA + "/nfts?chain=base", 3, &pages),
             ExpectedWhere([](const Item& i) { return i.chain == "base"; }));
  std::string upper_c3 = "0x" + std::string(38, '0') + "C3";
  ExpectSame(ListAll("/v1/owners/" + kOwnerA + "/nfts?chain=anvil&contract=" + upper_c3, 9,
                     &pages),
             ExpectedWhere([](const Item& i) { return i.contract == kC3; }));
  ExpectSame(ListAll("/v1/owners/" + kOwnerA + "/nfts?contract=" + kC1, 100, &pages),
             ExpectedWhere([](const Item& i) { return i.contract == kC1; }));
}

TEST_F(NftsPgTest, OtherOwnersAndEmptyResults) {
  int pages = 0;
  std::vector<Item> b = ListAll("/v1/owners/" + kOwnerB + "/nfts?x=1", 100, &pages);
  EXPECT_EQ(b.size(), 55u);  // 5 ERC-721 + 50 ERC-1155
  HttpResult r = client_->Get("/v1/owners/" + kNobody + "/nfts");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"items":[],"next_cursor":null})");
}

TEST_F(NftsPgTest, RejectsForeignAndTamperedCursors) {
  HttpResult r = client_->Get("/v1/owners/" + kOwnerA + "/nfts?limit=10");
  ASSERT_EQ(r.status, 200);
  std::string cursor(r.Json().at("next_cursor").as_string());
  // Another owner, or the same owner with another filter.
  for (const std::string& target :
       {"/v1/owners/" + kOwnerB + "/nfts?cursor=" + cursor,
        "/v1/owners/" + kOwnerA + "/nfts?chain=anvil&cursor=" + cursor}) {
    r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(std::string(r.Json().at("error").at("message").as_string()).rfind("cursor:", 0), 0u);
  }
  std::string tampered = cursor;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  r = client_->Get("/v1/owners/" + kOwnerA + "/nfts?cursor=" + tampered);
  EXPECT_EQ(r.status, 400);
  // The right query still accepts it.
  r = client_->Get("/v1/owners/" + kOwnerA + "/nfts?limit=10&cursor=" + cursor);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("items").at(0).at("token_id").as_string(), "11");
}

TEST_F(NftsPgTest, ReconnectsAfterConnectionsAreKilled) {
  ASSERT_EQ(client_->Get("/v1/nfts/anvil/" + kC1 + "/1").status, 200);
  {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction tx(conn);
    pqxx::result killed = tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = $1 AND application_name = 'chainflow-api'",
        db_->name());
    ASSERT_GE(killed.size(), 1u);
  }
  // Every pooled connection is dead now; each request still succeeds.
  for (int i = 0; i < 4; ++i) {
    HttpResult r = client_->Get("/v1/nfts/anvil/" + kC1 + "/1");
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

TEST_F(NftsPgTest, ListingUsesTheOwnerIndexes) {
  // The plan of the listing query's shape (as nfts.cc builds it), with
  // sequential scans disfavoured because the planner prefers them on tiny
  // tables, must read both tables through their owner-first indexes.
  pqxx::connection conn(db_->url());
  pqxx::nontransaction tx(conn);
  tx.exec("SET enable_seqscan = off");
  pqxx::result plan = tx.exec_params(
      "EXPLAIN SELECT chain, contract, token_id FROM ("
      "(SELECT chain, contract, token_id FROM chainflow.nft_owners WHERE owner = $1"
      " AND (chain, contract, token_id) > ('anvil', $2, 5::numeric)"
      " ORDER BY chain, contract, token_id LIMIT 101) UNION ALL"
      "(SELECT chain, contract, token_id FROM chainflow.nft_balances WHERE owner = $1"
      " AND balance > 0 AND (chain, contract, token_id) > ('anvil', $2, 5::numeric)"
      " ORDER BY chain, contract, token_id LIMIT 101)) p ORDER BY 1, 2, 3 LIMIT 101",
      kOwnerA, kC1);
  std::string text;
  for (const auto& row : plan) text += std::string(row[0].c_str()) + "\n";
  EXPECT_NE(text.find("nft_owners_owner_idx"), std::string::npos) << text;
  EXPECT_NE(text.find("nft_balances_owner_idx"), std::string::npos) << text;
}

}  // namespace
}  // namespace chainflow::api::handlers
