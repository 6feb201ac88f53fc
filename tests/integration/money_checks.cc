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

#include "tests/integration/diff_report.h"

namespace chainflow::testing {

using boost::multiprecision::cpp_int;

std::string WriteKongzThenErc20History(const std::string& path, int transfers, int tokens,
                                      int accounts, const std::string& burns, int erc1155_logs) {
  const std::string generated = path + ".generated";
  RunResult gen = RunCommand({GEN_HISTORY_BINARY, "--standard", "erc20", "--transfers",
                              std::to_string(transfers), "--accounts", std::to_string(accounts),
                              "--erc20-tokens", std::to_string(tokens), "--burns", burns,
                              "--erc1155-logs", std::to_string(erc1155_logs), "--out",
                              generated});
  if (gen.exit_code != 0) return "gen_history failed: " + gen.err;
  std::ofstream out(path, std::ios::binary);
  {
    std::ifstream kongz(SharedData("evm/cyberkongz/transfers.logs.ndjson"), std::ios::binary);
    std::ifstream generated_in(generated, std::ios::binary);
    out << kongz.rdbuf() << generated_in.rdbuf();
  }
  std::filesystem::remove(generated);
  return out.flush() ? "" : "cannot write " + path;
}

std::string KongzThenErc20Contracts(int tokens) {
  // gen_history's addresses: token k is k in the 4 bytes before e20c0ffe.
  std::string toml = fmt::format(
      "[[contracts]]\nchain = \"mainnet\"\naddress = \"{}\"\nstandard = \"erc721\"\n"
      "[[contracts]]\nchain = \"mainnet\"\naddress = \"{}\"\nstandard = \"erc1155\"\n",
      kKongzContract, kGeneratedErc1155Contract);
  for (int k = 0; k < tokens; ++k) {
    toml += fmt::format(
        "[[contracts]]\nchain = \"mainnet\"\naddress = \"0x{:024x}{:08x}e20c0ffe\"\n"
        "standard = \"erc20\"\n",
        0, k);
  }
  return toml;
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
                               size_t owner_changes, size_t erc1155_changes) {
  struct OutputTopic {
    std::string topic;
    std::set<std::string> ce_types;
    size_t records;  // exactly once: one record per output event
    std::map<std::string, size_t> records_of_type;  // those of ce_types counted apart
  };
  const std::vector<OutputTopic> topics = {
      // One TokenBalanceChanged or TotalSupplyChanged per side of a transfer.
      {env.prefix() + ".token.balances",
       {"chainflow.token.TokenBalanceChanged", "chainflow.token.TotalSupplyChanged"},
       2 * expected.transfers,
       {}},
      {env.prefix() + ".nft.ownership",
       {"chainflow.nft.OwnerChanged", "chainflow.nft.Erc1155BalanceChanged"},
       owner_changes + erc1155_changes,
       {{"chainflow.nft.OwnerChanged", owner_changes},
        {"chainflow.nft.Erc1155BalanceChanged", erc1155_changes}}},
  };
  for (const OutputTopic& t : topics) {
    SCOPED_TRACE(t.topic);
    const std::vector<std::string> headers =
        KcatLinesWith(t.topic, "%h", {"-X", "isolation.level=read_committed"});
    std::map<std::string, int> seen;
    std::map<std::string, size_t> of_type;
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
      if (type) ++of_type[*type];
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
    // the record counts catch those.
    EXPECT_EQ(headers.size(), t.records)
        << "committed records on the topic; " << seen.size() << " distinct ce_ids";
    for (const auto& [type, want] : t.records_of_type) {
      EXPECT_EQ(of_type[type], want) << "committed " << type << " records";
    }
  }
}

void ExpectNothingDeadLettered(const PipelineEnv& env) {
  const std::vector<std::string> dead =
      KcatLinesWith(env.prefix() + ".dlq", "%h", {"-X", "isolation.level=read_committed"});
  DiffReport report;
  for (const std::string& h : dead) report.Add(h);
  EXPECT_EQ(report.count(), 0u) << "dead-lettered records (headers):" << report.ToString();
}

}  // namespace chainflow::testing
