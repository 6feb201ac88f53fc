#include "tests/integration/money_checks.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace chainflow::testing {
namespace {

using boost::multiprecision::cpp_int;

constexpr size_t kShowFirst = 10;

// Up to kShowFirst lines of a diff, then how many more there were.
class DiffReport {
 public:
  void Add(std::string line) {
    if (lines_.size() < kShowFirst) lines_.push_back(std::move(line));
    ++count_;
  }
  size_t count() const { return count_; }
  std::string ToString() const {
    std::string out;
    for (const std::string& l : lines_) out += "\n  " + l;
    if (count_ > lines_.size()) out += fmt::format("\n  ... and {} more", count_ - lines_.size());
    return out;
  }

 private:
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

}  // namespace

std::string WriteKongzThenErc20History(const std::string& path, int transfers, int tokens,
                                      int accounts, const std::string& burns) {
  const std::string erc20 = path + ".erc20";
  RunResult gen = RunCommand({GEN_HISTORY_BINARY, "--standard", "erc20", "--transfers",
                              std::to_string(transfers), "--accounts", std::to_string(accounts),
                              "--erc20-tokens", std::to_string(tokens), "--burns", burns, "--out",
                              erc20});
  if (gen.exit_code != 0) return "gen_history failed: " + gen.err;
  std::ofstream out(path, std::ios::binary);
  {
    std::ifstream kongz(SharedData("evm/cyberkongz/transfers.logs.ndjson"), std::ios::binary);
    std::ifstream tokens_in(erc20, std::ios::binary);
    out << kongz.rdbuf() << tokens_in.rdbuf();
  }
  std::filesystem::remove(erc20);
  return out.flush() ? "" : "cannot write " + path;
}

void ExpectBalancesAndSupply(const PipelineEnv& env, const Erc20Expectation& expected) {
  // Balances: every expected (token, account) with its exact value. The
  // view keeps a row whose net came back to zero (its block number is part
  // of the view), so a "0" row the file has no balance for is fine; any
  // other extra row is not.
  const auto view = ViewTokenBalances(env, "mainnet");
  DiffReport balances;
  for (const auto& [key, want] : expected.balances) {
    auto it = view.find(key);
    if (it == view.end()) {
      balances.Add(fmt::format("{} {}: missing, expected {}", key.first, key.second, want));
    } else if (it->second != want) {
      balances.Add(fmt::format("{} {}: view {}, expected {} (view - expected = {})", key.first,
                               key.second, it->second, want,
                               (cpp_int(it->second) - cpp_int(want)).str()));
    }
  }
  for (const auto& [key, have] : view) {
    if (have != "0" && !expected.balances.contains(key)) {
      balances.Add(fmt::format("{} {}: view {}, expected no row", key.first, key.second, have));
    }
  }
  EXPECT_EQ(balances.count(), 0u) << balances.count() << " of " << expected.balances.size()
                                  << " balance rows wrong (view has " << view.size()
                                  << " rows):" << balances.ToString();

  // Supply per token, and conservation in the view: supply == sum of
  // balances.
  const auto supply = ViewTokenSupply(env, "mainnet");
  std::map<std::string, cpp_int> sums;
  for (const auto& [key, have] : view) sums[key.first] += cpp_int(have);
  DiffReport supplies;
  for (const auto& [token, want] : expected.supply) {
    auto it = supply.find(token);
    if (it == supply.end()) {
      supplies.Add(fmt::format("{}: no supply row, expected {}", token, want));
      continue;
    }
    if (it->second != want) {
      supplies.Add(fmt::format("{}: supply {}, expected {} (view - expected = {})", token,
                               it->second, want, (cpp_int(it->second) - cpp_int(want)).str()));
    }
    if (cpp_int(it->second) != sums[token]) {
      supplies.Add(fmt::format("{}: not conserved: supply {} but balances sum to {} "
                               "(supply - sum = {})",
                               token, it->second, sums[token].str(),
                               (cpp_int(it->second) - sums[token]).str()));
    }
  }
  for (const auto& [token, have] : supply) {
    if (!expected.supply.contains(token)) {
      supplies.Add(fmt::format("{}: supply {}, expected no row", token, have));
    }
  }
  EXPECT_EQ(supplies.count(), 0u) << "token_supply:" << supplies.ToString();
}

void ExpectEachOutputEventOnce(const PipelineEnv& env, const Erc20Expectation& expected,
                               size_t nft_records) {
  struct OutputTopic {
    std::string topic;
    std::set<std::string> ce_types;
    size_t records;  // exactly once: one record per output event
  };
  const std::vector<OutputTopic> topics = {
      // One TokenBalanceChanged or TotalSupplyChanged per side of a transfer.
      {env.prefix() + ".token.balances",
       {"chainflow.token.TokenBalanceChanged", "chainflow.token.TotalSupplyChanged"},
       2 * expected.transfers},
      {env.prefix() + ".nft.ownership", {"chainflow.nft.OwnerChanged"}, nft_records},
  };
  for (const OutputTopic& t : topics) {
    SCOPED_TRACE(t.topic);
    const std::vector<std::string> headers =
        KcatLinesWith(t.topic, "%h", {"-X", "isolation.level=read_committed"});
    std::map<std::string, int> seen;
    DiffReport malformed;
    for (const std::string& h : headers) {
      // Every record carries the CloudEvents headers (as replay_test checks).
      for (const char* want : {"ce_specversion=1.0", "ce_id=", "ce_source=", "ce_type=",
                               "ce_time=", "content-type=application/protobuf"}) {
        if (h.find(want) == std::string::npos) malformed.Add(fmt::format("no {} in {}", want, h));
      }
      std::optional<std::string> type = KcatHeader(h, "ce_type");
      if (type && !t.ce_types.contains(*type)) {
        malformed.Add(fmt::format("unexpected ce_type {} in {}", *type, h));
      }
      if (std::optional<std::string> id = KcatHeader(h, "ce_id")) ++seen[*id];
    }
    EXPECT_EQ(malformed.count(), 0u) << "records without CloudEvents headers:"
                                     << malformed.ToString();
    DiffReport twice;
    size_t extra = 0;
    for (const auto& [id, n] : seen) {
      if (n > 1) {
        twice.Add(fmt::format("{} x{}", id, n));
        extra += n - 1;
      }
    }
    EXPECT_EQ(twice.count(), 0u) << twice.count() << " ce_ids appear more than once ("
                                 << extra << " extra records) among " << headers.size()
                                 << " committed records:" << twice.ToString();
    // Duplicated inputs (e.g. deltas appended twice) come out with new ids;
    // the record count catches those.
    EXPECT_EQ(headers.size(), t.records)
        << "committed records on the topic; " << seen.size() << " distinct ce_ids";
  }
}

}  // namespace chainflow::testing
