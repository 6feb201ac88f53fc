// `chainflow replay` of ERC-20 history through real Kafka, RocksDB and
// PostgreSQL: token_balances and token_supply equal an independent
// computation from the input file, conservation holds in the view, and the
// state digest is the same for 1 and 8 partitions.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

using boost::multiprecision::cpp_int;
using boost::multiprecision::uint256_t;

constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
constexpr char kZero[] = "0x0000000000000000000000000000000000000000";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What the views must hold comes from Erc20NetsFromFile (Boost.JSON and
// cpp_int, not the product's decoder or arithmetic); the views show
// negative nets (partial history) as 0.
std::string Clamped(const cpp_int& v) { return v < 0 ? "0" : v.str(); }

// The ERC-20 Transfers of the chainstorage sample blocks (ethereum
// mainnet), in chain order, as one NDJSON history file.
std::string ChainstorageHistory(const std::string& out_path) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, std::string>> logs;
  for (const auto& entry : fs::directory_iterator(SharedData("evm/chainstorage/decoded"))) {
    std::string name = entry.path().filename().string();
    if (name.rfind("ethereum_raw_block_", 0) != 0 || !name.ends_with(".logs.json")) continue;
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::json::value v = boost::json::parse(text);
    for (const auto& log : v.as_array()) {
      const auto& obj = log.as_object();
      const auto& topics = obj.at("topics").as_array();
      if (topics.size() != 3 || Lower(std::string(topics[0].as_string())) != kTransferTopic) {
        continue;
      }
      uint64_t block = std::stoull(std::string(obj.at("blockNumber").as_string()), nullptr, 16);
      uint64_t index = std::stoull(std::string(obj.at("logIndex").as_string()), nullptr, 16);
      logs.push_back({{block, index}, boost::json::serialize(log)});
    }
  }
  std::sort(logs.begin(), logs.end());
  std::ofstream out(out_path);
  for (const auto& [pos, line] : logs) out << line << '\n';
  return out_path;
}

// A synthetic, complete history (every account funded before it pays):
// `blocks` blocks of `per_block` transfers over 3 tokens and 50 accounts,
// amounts up to 2^200. Deterministic for a seed.
std::string SyntheticHistory(const std::string& out_path, int blocks, int per_block) {
  std::mt19937_64 rng(2024);
  std::map<std::pair<int, int>, uint256_t> held;
  auto addr = [](int prefix, int n) { return fmt::format("0x{:02x}{:038x}", prefix, n); };
  auto word = [](const std::string& a) { return "0x000000000000000000000000" + a.substr(2); };
  std::ofstream out(out_path);
  for (int b = 1; b <= blocks; ++b) {
    for (int i = 0; i < per_block; ++i) {
      int token = static_cast<int>(rng() % 3) + 1;
      int from = static_cast<int>(rng() % 51);  // 0: mint
      int to = static_cast<int>(rng() % 51);    // 0: burn
      if (from != 0 && held[{token, from}] == 0) from = 0;
      uint256_t value = (uint256_t(rng()) << (rng() % 137));
      if (from != 0) value %= held[{token, from}] + 1;
      if (from != 0) held[{token, from}] -= value;
      if (to != 0) held[{token, to}] += value;
      std::string from_addr = from == 0 ? kZero : addr(0xa0, from);
      std::string to_addr = to == 0 ? kZero : addr(0xa0, to);
      std::string data = fmt::format("0x{:0>64}", Lower(value.str(0, std::ios_base::hex)));
      out << fmt::format(
          R"({{"address":"{}","topics":["{}","{}","{}"],"data":"{}","blockNumber":"0x{:x}",)"
          R"("blockHash":"0x{:064x}","blockTimestamp":"0x{:x}","transactionHash":"0x{:064x}",)"
          R"("transactionIndex":"0x{:x}","logIndex":"0x{:x}","removed":false}})",
          addr(0x70, token), kTransferTopic, word(from_addr), word(to_addr), data, b, b,
          1'700'000'000 + b * 12, b * 10000 + i, i, i)
          << '\n';
    }
  }
  return out_path;
}

std::map<std::pair<std::string, std::string>, std::string> ViewBalances(const PipelineEnv& env) {
  std::map<std::pair<std::string, std::string>, std::string> out;
  pqxx::connection c(env.db_url());
  pqxx::read_transaction tx(c);
  for (const auto& row : tx.exec("SELECT token, account, balance::text FROM "
                                 "chainflow.token_balances WHERE chain = 'mainnet'")) {
    out[{row[0].as<std::string>(), row[1].as<std::string>()}] = row[2].as<std::string>();
  }
  return out;
}

std::map<std::string, std::string> ViewSupply(const PipelineEnv& env) {
  std::map<std::string, std::string> out;
  pqxx::connection c(env.db_url());
  pqxx::read_transaction tx(c);
  for (const auto& row : tx.exec("SELECT token, total_supply::text FROM chainflow.token_supply "
                                 "WHERE chain = 'mainnet'")) {
    out[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  return out;
}

// The views equal `expected` exactly (every key, nothing more).
void ExpectViews(const PipelineEnv& env, const Erc20Nets& expected) {
  auto balances = ViewBalances(env);
  EXPECT_EQ(balances.size(), expected.balances.size());
  size_t mismatches = 0;
  for (const auto& [key, net] : expected.balances) {
    auto it = balances.find(key);
    std::string want = Clamped(net);
    if (it == balances.end() || it->second != want) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << key.first << " " << key.second << ": expected " << want << ", view has "
                      << (it == balances.end() ? "nothing" : it->second);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  auto supply = ViewSupply(env);
  EXPECT_EQ(supply.size(), expected.supply.size());
  for (const auto& [token, net] : expected.supply) {
    EXPECT_EQ(supply[token], Clamped(net)) << token;
  }
}

class TokenBalancesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  }
};

TEST_F(TokenBalancesTest, RealErc20HistoryMatchesAnIndependentComputation) {
  std::string path = ChainstorageHistory(fmt::format("/tmp/cf_it_erc20_{}.ndjson", ::getpid()));
  Erc20Nets expected = Erc20NetsFromFile(path);
  ASSERT_GT(expected.transfers, 500u) << "the chainstorage sample holds 670 mainnet transfers";

  PipelineEnv env("erc20real", 8);
  RunResult r = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectViews(env, expected);
  // Partial history: some accounts spent what the sample never credited.
  size_t negative = 0;
  for (const auto& [key, net] : expected.balances) negative += net < 0;
  EXPECT_GT(negative, 0u) << "the sample should exercise the underflow policy";
  std::filesystem::remove(path);
}

TEST_F(TokenBalancesTest, CompleteHistoryConservesSupplyAndDigestIgnoresPartitions) {
  std::string path = SyntheticHistory(fmt::format("/tmp/cf_it_erc20s_{}.ndjson", ::getpid()),
                                      /*blocks=*/200, /*per_block=*/25);
  Erc20Nets expected = Erc20NetsFromFile(path);
  ASSERT_EQ(expected.transfers, 5000u);
  for (const auto& [key, net] : expected.balances) ASSERT_GE(net, 0) << "generator bug";

  PipelineEnv eight("erc20p8", 8, 700);
  RunResult r8 = eight.Chainflow({"replay", "--chain", "mainnet", "--from-file", path});
  ASSERT_EQ(r8.exit_code, 0) << r8.err;
  ExpectViews(eight, expected);
  // Conservation in the view itself: per token, supply == sum of balances.
  EXPECT_EQ(eight.QueryScalar(
                "SELECT count(*) FROM chainflow.token_supply s WHERE s.total_supply <> "
                "(SELECT coalesce(sum(b.balance), 0) FROM chainflow.token_balances b "
                "WHERE b.chain = s.chain AND b.token = s.token)"),
            "0");
  EXPECT_EQ(eight.QueryScalar("SELECT count(*) FROM chainflow.token_supply"), "3");

  PipelineEnv one("erc20p1", 1, 5000);
  RunResult r1 = one.Chainflow({"replay", "--chain", "mainnet", "--from-file", path});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  ExpectViews(one, expected);
  std::string d1 = one.Digest(), d8 = eight.Digest();
  EXPECT_EQ(d1.size(), 64u) << d1;
  EXPECT_EQ(d1, d8) << "state digest differs between 1 and 8 partitions";

  // Rebuild from the log: the deltas topic still holds the first run's
  // deltas and the rebuilt splitter appends them again; nothing may count
  // twice.
  RunResult rebuilt = eight.Chainflow({"rebuild"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(eight.Digest(), d8);
  ExpectViews(eight, expected);
  // status lists the token processors and projection, caught up.
  RunResult status = eight.Chainflow({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  for (const char* name : {"token_splitter", "token_balances", "\"token\""}) {
    EXPECT_NE(status.out.find(name), std::string::npos) << name << " missing: " << status.out;
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace chainflow::testing
