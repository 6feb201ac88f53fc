// Exactly-once where it costs money: one deployment replays an ERC-20
// history (3 tokens, 2,000 accounts, mints and burns; gen_history) after
// the CyberKongz NFT history, and is SIGKILLed from outside at seeded random
// moments (ingest, processors and projections all run at once in a replay)
// before a last run finishes it. Then every ERC-20 balance and total supply
// in the views must equal an independent computation from the file, supply
// must equal the sum of balances per token, and the output topics, read as
// a read_committed consumer, must hold each output event (CloudEvents
// `ce_id`) once.
//
// The kill moments come from a seeded std::mt19937, printed at the start;
// CHAINFLOW_KILL_SEED=<n> repeats a run's delays (not its timing: where a
// kill lands also depends on the machine's speed).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

using boost::multiprecision::cpp_int;

const std::string kKongz = SharedData("evm/cyberkongz/transfers.logs.ndjson");
constexpr size_t kKongzTransfers = 15188;
// gen_history --standard erc20: the first kTokens * kAccounts transfers are
// mints that fund every account of every token; kBurns of the holders'
// transfers after them go to the zero address. 100 logs a block from block
// 18,000,000 (after CyberKongz's last, 13,730,112).
constexpr int kTransfers = 150'000;
constexpr int kTokens = 3;
constexpr int kAccounts = 2'000;
constexpr char kBurns[] = "0.05";
constexpr int64_t kLastBlock = 18'000'000 + (kTransfers - 1) / 100;
// Kills from outside, each after a delay drawn uniformly in
// [kMinDelayMs, kMaxDelayMs]. A run spends its first ~1-1.5 s starting
// (topics, migrations, transactional producers, store restores) before the
// file's events flow, and the whole history is ~10 s of work (appending ~2 s,
// the processors and projections the rest, all at once), so short delays land
// in start-up and ingest, longer ones while the processors and projections
// commit, and each run resumes where the last one died. Up to kMaxRuns runs
// are killed, stopping at the first that finishes by itself; at least
// kMinKillsMidWork kills must leave work behind (a consumer lagging or the
// file not all appended), or the test proves little and says so.
constexpr int kMaxRuns = 20;
constexpr int kMinKillsMidWork = 8;
constexpr int kMinDelayMs = 300;
constexpr int kMaxDelayMs = 2500;
constexpr size_t kShowFirst = 10;

uint32_t KillSeed() {
  if (const char* s = std::getenv("CHAINFLOW_KILL_SEED")) {
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device{}();
}

std::vector<std::string> ReplayArgs(const std::string& history) {
  return {"replay", "--chain", "mainnet", "--from-file", history};
}

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

class ExactlyOnceMoneyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) {
      skip_reason_ = why;
      return;
    }
    setup_failure_ = PrepareAndRun();
  }

  static void TearDownTestSuite() {
    env_.reset();
    if (!history_.empty()) std::filesystem::remove(history_);
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    if (!setup_failure_.empty()) FAIL() << "suite setup: " << setup_failure_;
  }

  // Writes the history, computes the expectation, kills replays, finishes
  // one. Returns what went wrong, empty when nothing.
  static std::string PrepareAndRun() {
    history_ = fmt::format("/tmp/cf_it_eo_money_{}.ndjson", ::getpid());
    if (std::string error = WriteHistory(history_); !error.empty()) return error;
    expected_ = ExpectedErc20FromFile(history_);
    if (expected_.transfers != kTransfers) {
      return fmt::format("{} ERC-20 transfers in the history, want {}", expected_.transfers,
                         kTransfers);
    }
    if (expected_.supply.size() != kTokens) return "the history should hold 3 tokens";
    for (const auto& [key, net] : expected_.balances) {
      if (net.starts_with("-")) return "generator bug: negative balance " + key.second;
    }
    env_ = std::make_unique<PipelineEnv>("eomoney", 8, 5000);
    KillReplays();
    RunResult last = env_->Chainflow(ReplayArgs(history_), {}, std::chrono::minutes(3));
    fmt::print("[ exactly-once money ] last run: exit {}; {}\n", last.exit_code,
               ReadProgress().summary);
    if (last.exit_code != 0) {
      return fmt::format("the last replay exited {}: {}", last.exit_code, last.err);
    }
    return "";
  }

  // CyberKongz, then the generated ERC-20 transfers (block numbers and
  // times keep increasing): the NFT processor's output topic gets records
  // too, and the kills land in both pipelines.
  static std::string WriteHistory(const std::string& path) {
    const std::string erc20 = path + ".erc20";
    RunResult gen = RunCommand({GEN_HISTORY_BINARY, "--standard", "erc20", "--transfers",
                                std::to_string(kTransfers), "--accounts",
                                std::to_string(kAccounts), "--erc20-tokens",
                                std::to_string(kTokens), "--burns", kBurns, "--out", erc20});
    if (gen.exit_code != 0) return "gen_history failed: " + gen.err;
    std::ofstream out(path, std::ios::binary);
    {
      std::ifstream kongz(kKongz, std::ios::binary);
      std::ifstream tokens(erc20, std::ios::binary);
      out << kongz.rdbuf() << tokens.rdbuf();
    }
    std::filesystem::remove(erc20);
    return out.flush() ? "" : "cannot write " + path;
  }

  // Up to kMaxRuns replays, each SIGKILLed after a seeded random delay,
  // until one finishes before its kill; what each left behind is printed.
  static void KillReplays() {
    const uint32_t seed = KillSeed();
    fmt::print("[ exactly-once money ] kill seed {} (CHAINFLOW_KILL_SEED={} repeats it)\n",
               seed, seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> delay_ms(kMinDelayMs, kMaxDelayMs);
    for (int i = 0; i < kMaxRuns; ++i) {
      const std::chrono::milliseconds delay(delay_ms(rng));
      Subprocess p(env_->Argv(ReplayArgs(history_)));
      std::this_thread::sleep_for(delay);
      p.Kill(SIGKILL);
      const int code = p.Wait();
      const Progress left = ReadProgress();
      const bool killed = code == 128 + SIGKILL;
      kills_mid_work_ += killed && !left.done;
      fmt::print("[ exactly-once money ] run {:2}: {} at {} ms; {}\n", i + 1,
                 killed ? "SIGKILLed" : fmt::format("exited {} before its kill", code),
                 delay.count(), left.summary);
      if (!killed || left.done) break;  // nothing left for later kills to interrupt
    }
  }

  // How far the deployment got, from `chainflow status --json`: the chain's
  // ingested block, and per processor and view the records consumed of
  // those on its input topics.
  struct Progress {
    bool done = false;  // every event appended, every consumer at its end
    std::string summary;
  };
  static Progress ReadProgress() {
    RunResult r = env_->Chainflow({"status", "--json"}, {}, std::chrono::seconds(30));
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(r.out, ec);
    if (r.exit_code != 0 || ec || !v.is_object()) {
      return {false, fmt::format("status exited {}: {}", r.exit_code,
                                 r.err.substr(0, r.err.find('\n')))};
    }
    Progress p;
    int64_t ingested = 0;
    for (const auto& chain : v.at("chains").as_array()) {
      const auto& block = chain.at("ingested_block");
      if (block.is_int64()) ingested = block.as_int64();
    }
    std::map<std::string, std::pair<int64_t, int64_t>> consumed;  // name -> (next, end)
    for (const auto& c : v.at("consumers").as_array()) {
      const auto& o = c.as_object();
      std::string name(o.at("name").as_string());
      if (o.at("kind").as_string() == "projection") name = "view " + name;
      auto number = [](const boost::json::value& x) { return x.is_int64() ? x.as_int64() : 0; };
      consumed[name].first += number(o.at("next_offset"));
      consumed[name].second += number(o.at("end_offset"));
    }
    p.done = ingested == kLastBlock;
    p.summary = fmt::format("ingested to block {} of {}", ingested, kLastBlock);
    for (const auto& [name, pos] : consumed) {
      if (pos.second == 0) continue;  // views and processors this history does not feed
      p.done = p.done && pos.first == pos.second;
      p.summary += fmt::format(", {} {}/{}", name, pos.first, pos.second);
    }
    return p;
  }

  // Every ERC-20 balance and supply equals the file's, and supply is the sum
  // of balances per token.
  static void ExpectBalancesAndSupply();
  // The output topics, read read_committed, hold each output event once.
  static void ExpectEachOutputEventOnce();

  static inline std::string skip_reason_;
  static inline std::string setup_failure_;
  static inline std::string history_;
  static inline Erc20Expectation expected_;
  static inline std::unique_ptr<PipelineEnv> env_;
  static inline int kills_mid_work_ = 0;
};

// One test, so the kills run once (each ctest test is its own process).
TEST_F(ExactlyOnceMoneyTest, BalancesSupplyAndOutputTopicsAreExactAfterRandomKills) {
  EXPECT_GE(kills_mid_work_, kMinKillsMidWork)
      << "too few kills left work behind: the replay got faster, lower kMaxDelayMs";
  ExpectBalancesAndSupply();
  ExpectEachOutputEventOnce();
}

void ExactlyOnceMoneyTest::ExpectBalancesAndSupply() {
  // Balances: every expected (token, account) with its exact value. The
  // view keeps a row whose net came back to zero (its block number is part
  // of the view), so a "0" row the file has no balance for is fine; any
  // other extra row is not.
  const auto view = ViewTokenBalances(*env_, "mainnet");
  DiffReport balances;
  for (const auto& [key, want] : expected_.balances) {
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
    if (have != "0" && !expected_.balances.contains(key)) {
      balances.Add(fmt::format("{} {}: view {}, expected no row", key.first, key.second, have));
    }
  }
  EXPECT_EQ(balances.count(), 0u) << balances.count() << " of " << expected_.balances.size()
                                  << " balance rows wrong (view has " << view.size()
                                  << " rows):" << balances.ToString();

  // Supply per token, and conservation in the view: supply == sum of
  // balances.
  const auto supply = ViewTokenSupply(*env_, "mainnet");
  std::map<std::string, cpp_int> sums;
  for (const auto& [key, have] : view) sums[key.first] += cpp_int(have);
  DiffReport supplies;
  for (const auto& [token, want] : expected_.supply) {
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
    if (!expected_.supply.contains(token)) {
      supplies.Add(fmt::format("{}: supply {}, expected no row", token, have));
    }
  }
  EXPECT_EQ(supplies.count(), 0u) << "token_supply:" << supplies.ToString();
}

void ExactlyOnceMoneyTest::ExpectEachOutputEventOnce() {
  struct OutputTopic {
    std::string topic;
    std::set<std::string> ce_types;
    size_t records;  // exactly once: one record per output event
  };
  const std::vector<OutputTopic> topics = {
      // One TokenBalanceChanged or TotalSupplyChanged per side of a transfer.
      {env_->prefix() + ".token.balances",
       {"chainflow.token.TokenBalanceChanged", "chainflow.token.TotalSupplyChanged"},
       2 * expected_.transfers},
      {env_->prefix() + ".nft.ownership", {"chainflow.nft.OwnerChanged"}, kKongzTransfers},
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

}  // namespace
}  // namespace chainflow::testing
