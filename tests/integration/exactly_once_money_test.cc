// Exactly-once where it costs money: one deployment replays an ERC-20
// history (3 tokens, 2,000 accounts, mints and burns; gen_history) with
// ERC-1155 TransferSingle and TransferBatch logs mixed into its blocks, after
// the CyberKongz NFT history, and is SIGKILLed from outside at seeded random
// moments (ingest, processors and projections all run at once in a replay)
// before a last run finishes it. Then every ERC-20 balance and total supply
// and every ERC-1155 balance in the views must equal an independent
// computation from the file, supply must equal the sum of balances per token,
// the output topics, read as a read_committed consumer, must hold each output
// event (CloudEvents `ce_id`) once and one record per event of each kind, and
// nothing may be dead-lettered.
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
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/erc1155_checks.h"
#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

constexpr size_t kKongzTransfers = 15188;
// gen_history --standard erc20: the first kTokens * kAccounts transfers are
// mints that fund every account of every token; kBurns of the holders'
// transfers after them go to the zero address. kErc1155Logs ERC-1155 logs
// (40 ids, about 30 % batches of up to 6 ids: ~50,000 transfers) are spread
// among them. 100 logs a block from block 18,000,000 (after CyberKongz's
// last, 13,730,112).
constexpr int kTransfers = 150'000;
constexpr int kTokens = 3;
constexpr int kAccounts = 2'000;
constexpr char kBurns[] = "0.05";
constexpr int kErc1155Logs = 30'000;
constexpr int64_t kLastBlock = 18'000'000 + (kTransfers + kErc1155Logs - 1) / 100;
// Kills from outside, each after a delay drawn uniformly in
// [kMinDelayMs, kMaxDelayMs]. A run spends its first ~1-1.5 s starting
// (topics, migrations, transactional producers, store restores) before the
// file's events flow, and the whole history is ~10 s of work (appending ~2 s,
// the processors and projections the rest, all at once), so short delays land
// in start-up and ingest, longer ones while the processors and projections
// commit, and each run resumes where the last one died. Up to kMaxRuns runs
// are killed, stopping at the first that finishes by itself; at least
// kMinKillsMidWork kills must leave work behind (a consumer lagging or the
// file not all appended), and at least kMinKillsMidProcessing of them must
// land while the processors are moving (a run that advanced them and left
// them short of their end), or the test proves little and says so. On a
// loaded machine start-up takes longer: after a run that did not move the
// processors, the delays stretch by half (up to kMaxStretch times).
constexpr int kMaxRuns = 24;
constexpr int kMinKillsMidWork = 8;
constexpr int kMinKillsMidProcessing = 3;
constexpr int kMinDelayMs = 300;
constexpr int kMaxDelayMs = 2500;
constexpr double kMaxStretch = 6.0;

uint32_t KillSeed() {
  if (const char* s = std::getenv("CHAINFLOW_KILL_SEED")) {
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device{}();
}

std::vector<std::string> ReplayArgs(const std::string& history) {
  return {"replay", "--chain", "mainnet", "--from-file", history};
}

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
    if (std::string error =
            WriteKongzThenErc20History(history_, kTransfers, kTokens, kAccounts, kBurns,
                                       kErc1155Logs);
        !error.empty()) {
      return error;
    }
    expected_ = ExpectedErc20FromFile(history_);
    if (expected_.transfers != kTransfers) {
      return fmt::format("{} ERC-20 transfers in the history, want {}", expected_.transfers,
                         kTransfers);
    }
    if (expected_.supply.size() != kTokens) return "the history should hold 3 tokens";
    for (const auto& [key, net] : expected_.balances) {
      if (net.starts_with("-")) return "generator bug: negative balance " + key.second;
    }
    erc1155_ = ExpectedErc1155FromFile(history_);
    if (!erc1155_.error.empty()) return "the ERC-1155 expectation: " + erc1155_.error;
    if (erc1155_.transfers < 40'000 || erc1155_.singles == 0 || erc1155_.largest_batch < 4) {
      return fmt::format("the history should hold tens of thousands of ERC-1155 transfers, "
                         "singles and batches of several ids: {} transfers, {} singles, {} "
                         "batches of at most {} ids",
                         erc1155_.transfers, erc1155_.singles, erc1155_.batches,
                         erc1155_.largest_batch);
    }
    fmt::print("[ exactly-once money ] ERC-1155: {} singles, {} batches (at most {} ids), {} "
               "transfers of {} ids, {} balance changes expected\n",
               erc1155_.singles, erc1155_.batches, erc1155_.largest_batch, erc1155_.transfers,
               erc1155_.token_ids, erc1155_.records);
    env_ = std::make_unique<PipelineEnv>("eomoney", 8, 5000, KongzThenErc20Contracts(kTokens));
    KillReplays();
    RunResult last = env_->Chainflow(ReplayArgs(history_), {}, std::chrono::minutes(3));
    fmt::print("[ exactly-once money ] last run: exit {}; {}\n", last.exit_code,
               ReadProgress().summary);
    if (last.exit_code != 0) {
      return fmt::format("the last replay exited {}: {}", last.exit_code, last.err);
    }
    return "";
  }

  // Up to kMaxRuns replays, each SIGKILLed after a seeded random delay,
  // until one finishes before its kill; what each left behind is printed.
  static void KillReplays() {
    const uint32_t seed = KillSeed();
    fmt::print("[ exactly-once money ] kill seed {} (CHAINFLOW_KILL_SEED={} repeats it)\n",
               seed, seed);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    double stretch = 1.0;
    int64_t processed_before = 0;
    for (int i = 0; i < kMaxRuns; ++i) {
      const std::chrono::milliseconds delay(static_cast<int64_t>(
          stretch * (kMinDelayMs + unit(rng) * (kMaxDelayMs - kMinDelayMs))));
      Subprocess p(env_->Argv(ReplayArgs(history_)));
      std::this_thread::sleep_for(delay);
      p.Kill(SIGKILL);
      const int code = p.Wait();
      const Progress left = ReadProgress();
      const bool killed = code == 128 + SIGKILL;
      const bool moved = left.processed > processed_before;
      kills_mid_work_ += killed && !left.done;
      kills_mid_processing_ += killed && moved && left.processors_behind;
      fmt::print("[ exactly-once money ] run {:2}: {} at {} ms{}; {}\n", i + 1,
                 killed ? "SIGKILLed" : fmt::format("exited {} before its kill", code),
                 delay.count(), killed && moved && left.processors_behind ? " (mid-processing)" : "",
                 left.summary);
      if (!killed || left.done) break;  // nothing left for later kills to interrupt
      if (!moved) stretch = std::min(kMaxStretch, stretch * 1.5);
      processed_before = left.processed;
    }
  }

  // How far the deployment got, from `chainflow status --json`: the chain's
  // ingested block, and per processor and view the records consumed of
  // those on its input topics.
  struct Progress {
    bool done = false;  // every event appended, every consumer at its end
    int64_t processed = 0;         // input records the processors have consumed
    bool processors_behind = false;  // some processor short of its input's end
    std::string summary;
  };
  static Progress ReadProgress() {
    RunResult r = env_->Chainflow({"status", "--json"}, {}, std::chrono::seconds(30));
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(r.out, ec);
    if (r.exit_code != 0 || ec || !v.is_object()) {
      return {.summary = fmt::format("status exited {}: {}", r.exit_code,
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
      if (!name.starts_with("view ")) {
        p.processed += pos.first;
        p.processors_behind = p.processors_behind || pos.first < pos.second;
      }
      p.summary += fmt::format(", {} {}/{}", name, pos.first, pos.second);
    }
    return p;
  }

  static inline std::string skip_reason_;
  static inline std::string setup_failure_;
  static inline std::string history_;
  static inline Erc20Expectation expected_;
  static inline Erc1155Expectation erc1155_;
  static inline std::unique_ptr<PipelineEnv> env_;
  static inline int kills_mid_work_ = 0;
  static inline int kills_mid_processing_ = 0;
};

// One test, so the kills run once (each ctest test is its own process).
TEST_F(ExactlyOnceMoneyTest, BalancesSupplyAndOutputTopicsAreExactAfterRandomKills) {
  EXPECT_GE(kills_mid_work_, kMinKillsMidWork)
      << "too few kills left work behind: the replay got faster, lower kMaxDelayMs";
  EXPECT_GE(kills_mid_processing_, kMinKillsMidProcessing)
      << "too few kills landed while the processors were moving";
  ExpectBalancesAndSupply(*env_, expected_);
  ExpectNftBalances(*env_, erc1155_);
  ExpectEachOutputEventOnce(*env_, expected_, kKongzTransfers, erc1155_.records);
  ExpectNothingDeadLettered(*env_);
}

}  // namespace
}  // namespace chainflow::testing
