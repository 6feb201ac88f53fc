// Intents end to end (issue 4): `chainflow run` follows a private Anvil that
// mines a block a second, an ERC-20 test token is minted on chain, and
// intents POSTed to the API (HMAC-signed) are approved or rejected at the
// next approval deadline of event time against the payer's on-chain balance
// less what its earlier approvals reserve. Every decision is read back from
// <prefix>.intents (and served by GET /v1/intents/{id} once the view exists).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/auth/hmac_request.h"
#include "chainflow/v1/events.pb.h"
#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "engine/log/consumer.h"
#include "ingest/evm/rpc_client.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/local_anvil.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::testing {
namespace {

namespace json = boost::json;
namespace log = engine::log;
using api::testing::HttpResult;
using api::testing::TestClient;
using Clock = std::chrono::steady_clock;

constexpr char kKeySecret[] = "it-intents-secret-0123456789";
constexpr int kPartitions = 4;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Word(uint64_t v) { return fmt::format("{:064x}", v); }
std::string AddressWord(const std::string& address) {
  return std::string(24, '0') + address.substr(2);
}

// What <prefix>.intents says of one intent: its last transition.
struct Decision {
  v1::IntentStatus status = v1::INTENT_STATUS_UNSPECIFIED;
  std::string reason;
  std::string available;           // decimal, of the last transition
  std::string approved_available;  // decimal, when it was approved
  int transitions = 0;
};

class IntentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    anvil_ = LocalAnvil::Start(&why, {"--block-time", "1"});
    if (!anvil_) GTEST_SKIP() << why;
    auto rpc = ingest::evm::RpcClient::Open({.url = anvil_->url(),
                                             .timeout = std::chrono::seconds(20)});
    ASSERT_TRUE(rpc) << rpc.error().ToString();
    rpc_ = std::move(rpc).value();
    auto token = DeployContract(anvil_->url(), "TestToken20", &why);
    ASSERT_TRUE(token) << why;
    token_ = *token;
    // A second token that accrues daily (it is not the one the intents
    // move, so the decisions and balances below do not depend on it).
    auto reward = DeployContract(anvil_->url(), "TestToken20", &why);
    ASSERT_TRUE(reward) << why;
    reward_ = *reward;
    json::array accounts = Call("eth_accounts", "[]").as_array();
    for (const auto& a : accounts) accounts_.push_back(Lower(std::string(a.as_string())));
    ASSERT_GE(accounts_.size(), 4u);

    // Approvals every 2 s, epochs of 6 s and accrual days of 2 s of event
    // time, so the test sees several deadlines, settlements and accruals.
    env_ = std::make_unique<PipelineEnv>(
        "intents", kPartitions, 500,
        // Decisions wait for finality (engine/processors/intents README
        // "Reorgs"): a block is final once 2 more are mined, 2 s here.
        fmt::format("[[chains]]\nname = \"anvil\"\nkind = \"evm\"\nchain_id = 31337\n"
                    "rpc = \"{}\"\npoll_interval_ms = 100\nfinality_depth = 2\n"
                    "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc20\"\n"
                    "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc20\"\n"
                    "[auth]\n[[auth.keys]]\nid = \"partner\"\nsecret_env = \"IT_KEY_SECRET\"\n"
                    "[intents]\nchains = \"anvil\"\napproval_interval_s = 2\n"
                    "epoch_length_s = 6\nclock_interval_ms = 200\n"
                    "accrual_tokens = \"anvil:{}\"\naccrual_rate_bps = 100\n"
                    "accrual_period_s = 2\n"
                    "idempotency_dir = \"/tmp/cf_it_idem_intents_{}\"\n",
                    anvil_->url(), token_.address, reward_.address, reward_.address,
                    ::getpid()));
    run_ = std::make_unique<Subprocess>(env_->Argv({"run"}),
                                        std::map<std::string, std::string>{
                                            {"IT_KEY_SECRET", kKeySecret}});
    client_ = std::make_unique<TestClient>(static_cast<uint16_t>(env_->api_port()));
    for (int i = 0; i < 300 && client_->Get("/healthz").status != 200; ++i) {
      ASSERT_TRUE(run_->Running()) << run_->Stderr();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(client_->Get("/healthz").status, 200) << run_->Stderr();
  }

  void TearDown() override {
    client_.reset();
    if (run_ && run_->Running()) {
      run_->Kill(SIGTERM);
      EXPECT_EQ(run_->Wait(std::chrono::seconds(30)), 0) << run_->Stderr();
    }
    std::error_code ec;
    std::filesystem::remove_all(fmt::format("/tmp/cf_it_idem_intents_{}", ::getpid()), ec);
  }

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  json::value Call(const std::string& method, const std::string& params) {
    auto result = rpc_->Call(method, params);
    EXPECT_TRUE(result) << method << ": " << result.error().ToString();
    return result ? json::parse(result.value()) : json::value();
  }

  // Mints `token` (default: the intents' token) on chain and waits for the
  // receipt (a block a second).
  void Mint(const std::string& to, uint64_t amount, const DeployedContract* token = nullptr) {
    if (token == nullptr) token = &token_;
    std::string data = "0x" + token->selectors.at("mint(address,uint256)") + AddressWord(to) +
                       Word(amount);
    json::value hash = Call("eth_sendTransaction",
                            fmt::format(R"([{{"from":"{}","to":"{}","data":"{}"}}])",
                                        accounts_[0], token->address, data));
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      if (Call("eth_getTransactionReceipt", "[" + json::serialize(hash) + "]").is_object()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "mint to " << to << " was not mined";
  }

  // POSTs a gift from `payer`; returns the intent id.
  std::string Submit(const std::string& payer, uint64_t amount, const std::string& idem) {
    std::string body = fmt::format(
        R"({{"kind":"gift","payer":"{}","payee":"{}","chain":"anvil","token":"{}",)"
        R"("amount":"{}"}})",
        payer, accounts_[3], token_.address, amount);
    std::string ts = std::to_string(Now());
    std::string sig = api::auth::SignCanonical(
        kKeySecret, api::auth::CanonicalRequest("POST", "/v1/intents", ts, idem, body));
    HttpResult r = client_->Send("POST", "/v1/intents", body,
                                 {{"X-Chainflow-Key", "partner"},
                                  {"X-Chainflow-Timestamp", ts},
                                  {"X-Chainflow-Signature", sig},
                                  {"Idempotency-Key", idem}});
    EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
    return r.status / 100 == 2 ? std::string(r.Json().at("intent_id").as_string()) : "";
  }

  // Reads <prefix>.intents until every id in `ids` is settled or rejected.
  std::map<std::string, Decision> WaitForDecisions(const std::vector<std::string>& ids) {
    log::ConsumerOptions options;
    options.brokers = "127.0.0.1:9092";
    options.group_id = "it-intents-reader";
    auto consumer = log::Consumer::Open(options);
    EXPECT_TRUE(consumer) << consumer.error().ToString();
    std::vector<log::TopicPartitionOffset> assignment;
    for (int p = 0; p < kPartitions; ++p) {
      assignment.push_back({env_->prefix() + ".intents", core::PartitionId(p),
                            log::kOffsetBeginning});
    }
    EXPECT_TRUE(consumer.value()->Assign(assignment).ok());
    std::map<std::string, Decision> out;
    auto decided = [&] {
      for (const auto& id : ids) {
        auto it = out.find(id);
        if (it == out.end() || it->second.status == v1::INTENT_STATUS_SUBMITTED ||
            it->second.status == v1::INTENT_STATUS_APPROVED) {
          return false;
        }
      }
      return true;
    };
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!decided() && Clock::now() < deadline) {
      EXPECT_TRUE(run_->Running()) << run_->Stderr();
      auto batch = consumer.value()->Poll(100, std::chrono::milliseconds(200));
      EXPECT_TRUE(batch) << batch.error().ToString();
      if (!batch) break;
      for (const auto& record : batch.value()) {
        v1::Envelope env;
        EXPECT_TRUE(env.ParseFromString(record.value));
        const auto& c = env.intent_status_changed();
        Decision& d = out[c.intent_id()];
        d.status = c.status();
        d.reason = c.reason();
        d.available = c.available().empty()
                          ? ""
                          : engine::core::U256ToDecimal(
                                engine::core::U256FromBigEndian(c.available()).value());
        if (c.status() == v1::INTENT_STATUS_APPROVED) d.approved_available = d.available;
        ++d.transitions;
      }
    }
    EXPECT_TRUE(decided()) << "intents still unsettled after 60 s\n" << run_->Stderr();
    return out;
  }

  // Every record on `<prefix>.<suffix>` so far, all partitions, in each
  // partition's order (read until the topic stays quiet for a second).
  std::vector<log::Record> ReadTopic(const std::string& suffix) {
    log::ConsumerOptions options;
    options.brokers = "127.0.0.1:9092";
    options.group_id = "it-intents-views";
    auto consumer = log::Consumer::Open(options);
    EXPECT_TRUE(consumer) << consumer.error().ToString();
    if (!consumer) return {};
    std::vector<log::TopicPartitionOffset> assignment;
    for (int p = 0; p < kPartitions; ++p) {
      assignment.push_back({env_->prefix() + "." + suffix, core::PartitionId(p),
                            log::kOffsetBeginning});
    }
    EXPECT_TRUE(consumer.value()->Assign(assignment).ok());
    std::vector<log::Record> out;
    for (int quiet = 0; quiet < 5;) {
      auto batch = consumer.value()->Poll(1000, std::chrono::milliseconds(200));
      EXPECT_TRUE(batch) << batch.error().ToString();
      if (!batch) break;
      quiet = batch.value().empty() ? quiet + 1 : 0;
      for (auto& r : batch.value()) out.push_back(std::move(r));
    }
    return out;
  }

  std::unique_ptr<LocalAnvil> anvil_;
  std::unique_ptr<ingest::evm::RpcClient> rpc_;
  DeployedContract token_;
  DeployedContract reward_;  // accrues daily
  std::vector<std::string> accounts_;
  std::unique_ptr<PipelineEnv> env_;
  std::unique_ptr<Subprocess> run_;
  std::unique_ptr<TestClient> client_;
};

// The served ERC-20 balance of `account` (GET /v1/balances), "0" when none.
std::string ServedBalance(TestClient& client, const std::string& account,
                          const std::string& token) {
  HttpResult r = client.Get(fmt::format("/v1/balances/{}?chain=anvil&token={}", account, token));
  EXPECT_EQ(r.status, 200) << r.body;
  if (r.status != 200) return "?";
  const json::value body = r.Json();  // keep it: the loop refers into it
  for (const auto& b : body.at("fungible").as_array()) {
    if (b.at("token").as_string() == token) return std::string(b.at("balance").as_string());
  }
  return "0";
}

// A uint256 field of a record as a decimal string.
std::string Decimal(const std::string& bytes) {
  auto v = engine::core::U256FromBigEndian(bytes);
  return v ? engine::core::U256ToDecimal(v.value()) : "?";
}

// GET `target` (which takes &cursor=) page by page: the concatenation of
// every page's `member` array; the last page's body otherwise.
json::object AllPages(TestClient& client, const std::string& target, const std::string& member) {
  json::array all;
  json::object last;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    HttpResult r = client.Get(target + (cursor.empty() ? "" : "&cursor=" + cursor));
    if (r.status != 200) return json::object{{"status", r.status}, {"body", r.body}};
    last = r.Json().as_object();
    for (const auto& item : last.at(member).as_array()) all.push_back(item);
    if (last.at("next_cursor").is_null()) break;
    cursor = std::string(last.at("next_cursor").as_string());
  }
  last[member] = std::move(all);
  last.erase("next_cursor");
  return last;
}

// What GET /v1/epochs/{n}?accounts=true must answer for the epoch of `e`,
// built from the records alone: the EpochSettled and the epoch's
// AccountSettled records (the later one of an account wins).
json::object ExpectedEpoch(const v1::EpochSettled& e, const std::vector<log::Record>& records) {
  json::array totals;
  for (const v1::TokenTotal& t : e.totals()) {
    totals.push_back(json::object{{"chain", t.chain()},
                                  {"token", engine::core::ToHex(std::string_view(t.token()))},
                                  {"amount", Decimal(t.amount())},
                                  {"intents", static_cast<int64_t>(t.intents())}});
  }
  std::map<std::string, json::object> accounts;  // by "chain token account": the served order
  for (const log::Record& r : records) {
    v1::Envelope env;
    if (!env.ParseFromString(r.value) || !env.has_account_settled()) continue;
    const v1::AccountSettled& a = env.account_settled();
    if (a.epoch() != e.epoch()) continue;
    const std::string token = engine::core::ToHex(std::string_view(a.token()));
    const std::string account = engine::core::ToHex(std::string_view(a.account()));
    accounts[a.chain() + " " + token + " " + account] =
        json::object{{"chain", a.chain()},
                     {"token", token},
                     {"account", account},
                     {"debited", Decimal(a.debited())},
                     {"credited", Decimal(a.credited())},
                     {"paid", static_cast<int64_t>(a.paid())},
                     {"received", static_cast<int64_t>(a.received())}};
  }
  json::array account_items;
  for (auto& [key, item] : accounts) account_items.push_back(std::move(item));
  return json::object{{"epoch", static_cast<int64_t>(e.epoch())},
                      {"start", static_cast<int64_t>(e.start())},
                      {"end", static_cast<int64_t>(e.end())},
                      {"settled", static_cast<int64_t>(e.settled())},
                      {"rejected", static_cast<int64_t>(e.rejected())},
                      {"digest", engine::core::ToHex(std::string_view(e.digest()))},
                      {"totals", std::move(totals)},
                      {"accounts", std::move(account_items)}};
}

TEST_F(IntentsTest, IntentsAreDecidedAgainstOnChainBalancesLessReservationsAndSettled) {
  const std::string alice = accounts_[1];
  const std::string bob = accounts_[2];
  Mint(alice, 1000);
  Mint(bob, 50);
  Mint(alice, 1'000'000, &reward_);  // accrues 1 % a day

  // Round 1: alice's 600 is covered by 1000; bob's 60 is not covered by 50.
  std::string a1 = Submit(alice, 600, "a1");
  std::string b1 = Submit(bob, 60, "b1");
  ASSERT_EQ(Submit(alice, 600, "a1"), a1);  // a retried POST is the same intent
  auto round1 = WaitForDecisions({a1, b1});
  EXPECT_EQ(round1[a1].status, v1::INTENT_STATUS_SETTLED) << round1[a1].reason;
  EXPECT_EQ(round1[a1].approved_available, "1000");
  EXPECT_EQ(round1[b1].status, v1::INTENT_STATUS_REJECTED);
  EXPECT_EQ(round1[b1].reason, "insufficient available balance: 50 available < 60 amount");

  // Round 2: alice has 400 left after the reservation; bob's 50 fits exactly.
  std::string a2 = Submit(alice, 500, "a2");
  std::string b2 = Submit(bob, 50, "b2");
  auto round2 = WaitForDecisions({a2, b2});
  EXPECT_EQ(round2[a2].status, v1::INTENT_STATUS_REJECTED);
  EXPECT_EQ(round2[a2].available, "400");
  EXPECT_EQ(round2[b2].status, v1::INTENT_STATUS_SETTLED);

  // Round 3: a mint on chain raises alice's available balance to 600.
  Mint(alice, 200);
  std::string a3 = Submit(alice, 600, "a3");
  auto all = WaitForDecisions({a1, b1, a2, b2, a3});
  EXPECT_EQ(all[a3].status, v1::INTENT_STATUS_SETTLED) << all[a3].reason;
  EXPECT_EQ(all[a3].approved_available, "600");
  // Each intent: submitted, then rejected or approved and settled, whatever the retries.
  for (const auto& id : {a1, a2, a3, b1, b2}) {
    bool settled = all[id].status == v1::INTENT_STATUS_SETTLED;
    EXPECT_EQ(all[id].transitions, settled ? 3 : 2) << id;
  }

  // Served balances = balanceOf on the chain plus settled intents: alice
  // 1200 - 600 - 600, bob 50 - 50, the payee 0 + 600 + 50 + 600.
  const std::map<std::string, std::string> expected = {
      {alice, "0"}, {bob, "0"}, {accounts_[3], "1250"}};
  auto deadline = Clock::now() + std::chrono::seconds(30);
  std::map<std::string, std::string> served;
  while (Clock::now() < deadline) {
    for (const auto& [account, want] : expected) {
      served[account] = ServedBalance(*client_, account, token_.address);
    }
    if (served == expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(served, expected);

  // The settlement views against <prefix>.settlements: every EpochSettled is
  // served by GET /v1/epochs/{n} with its digest, counts and totals, and
  // with accounts=true (paged by 2) exactly the epoch's AccountSettled.
  std::vector<log::Record> settlements = ReadTopic("settlements");
  std::map<uint64_t, v1::EpochSettled> epochs;
  for (const log::Record& r : settlements) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    if (env.has_epoch_settled()) epochs[env.epoch_settled().epoch()] = env.epoch_settled();
  }
  uint64_t settled_intents = 0;
  engine::core::U256 settled_amount = 0;
  for (const auto& [n, e] : epochs) {
    settled_intents += e.settled();
    for (const auto& t : e.totals()) {
      EXPECT_EQ(engine::core::ToHex(std::string_view(t.token())), token_.address);
      settled_amount += engine::core::U256FromBigEndian(t.amount()).value();
    }
    json::object want = ExpectedEpoch(e, settlements);
    json::object got;
    for (auto until = Clock::now() + std::chrono::seconds(30); Clock::now() < until;) {
      got = AllPages(*client_, fmt::format("/v1/epochs/{}?accounts=true&limit=2", n), "accounts");
      if (got == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      // An epoch's AccountSettled records may still have been on their way.
      settlements = ReadTopic("settlements");
      want = ExpectedEpoch(e, settlements);
    }
    EXPECT_EQ(json::serialize(got), json::serialize(want))
        << "epoch " << n << "; chainflow.settlements holds "
        << env_->QueryScalar("SELECT coalesce(string_agg(epoch || '/' || account, ' '"
                             " ORDER BY epoch), '') FROM chainflow.settlements")
        << "; offsets "
        << env_->QueryScalar("SELECT coalesce(string_agg(partition || ':' || next_offset, ' '),"
                             " '') FROM chainflow.projection_offsets"
                             " WHERE projection = 'settlements'");
  }
  // The records themselves add up to what the intents settled (a1, b2, a3).
  EXPECT_EQ(settled_intents, 3u);
  EXPECT_EQ(engine::core::U256ToDecimal(settled_amount), "1250");

  // The accruals view against <prefix>.accruals: every record is served by
  // GET /v1/accruals/{account} (paged by 3), field for field.
  const std::vector<log::Record> accruals = ReadTopic("accruals");
  std::map<std::string, std::map<int64_t, json::object>> want_accruals;  // account -> day
  for (const log::Record& r : accruals) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    if (!env.has_accrual_recorded()) continue;
    const v1::AccrualRecorded& a = env.accrual_recorded();
    EXPECT_EQ(engine::core::ToHex(std::string_view(a.token())), reward_.address);
    want_accruals[engine::core::ToHex(std::string_view(a.account()))][a.day()] =
        json::object{{"day", static_cast<int64_t>(a.day())},
                     {"end", static_cast<int64_t>(a.end())},
                     {"chain", a.chain()},
                     {"token", reward_.address},
                     {"balance", Decimal(a.balance())},
                     {"rate_bps", static_cast<int64_t>(a.rate_bps())},
                     {"accrued", Decimal(a.accrued())},
                     {"carry", static_cast<int64_t>(a.carry())},
                     {"total_accrued", Decimal(a.total_accrued())}};
  }
  ASSERT_TRUE(want_accruals.count(alice)) << "no accruals for the reward holder";
  EXPECT_GE(want_accruals[alice].size(), 3u);
  for (const auto& [account, days] : want_accruals) {
    std::map<int64_t, json::object> got;
    for (auto until = Clock::now() + std::chrono::seconds(30); Clock::now() < until;) {
      json::object page = AllPages(
          *client_,
          fmt::format("/v1/accruals/{}?chain=anvil&token={}&limit=3", account, reward_.address),
          "items");
      got.clear();
      if (page.contains("items")) {
        for (const auto& item : page.at("items").as_array()) {
          got[item.at("day").as_int64()] = item.as_object();
        }
      }
      // Days after the ones read may be served too (the chain keeps going).
      bool all = true;
      for (const auto& [day, item] : days) all = all && got.count(day) && got[day] == item;
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (const auto& [day, item] : days) {
      EXPECT_EQ(json::serialize(got[day]), json::serialize(item)) << account << " day " << day;
    }
  }
}

}  // namespace
}  // namespace chainflow::testing
