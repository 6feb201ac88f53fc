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
// nothing may be dead-lettered. The kills: random_kills.h
// (CHAINFLOW_KILL_SEED=<n> repeats a run's delays).
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/erc1155_checks.h"
#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/integration/random_kills.h"

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
// Kills from outside with KillPlan's defaults (random_kills.h): up to 24
// runs, each SIGKILLed after a delay drawn in 300-2500 ms. A run spends its
// first ~1-1.5 s starting (topics, migrations, transactional producers,
// store restores) before the file's events flow, and the whole history is
// ~10 s of work (appending ~2 s, the processors and projections the rest, all
// at once), so short delays land in start-up and ingest, longer ones while the
// processors and projections commit, and each run resumes where the last one
// died. At least kMinKillsMidWork kills must leave work behind (a consumer
// lagging or the file not all appended), and at least kMinKillsMidProcessing
// of them must land while the processors are moving (a run that advanced
// them and left them short of their end), or the test proves little and says
// so.
constexpr int kMinKillsMidWork = 8;
constexpr int kMinKillsMidProcessing = 3;

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
    kills_ = KillAtRandomMoments(*env_, ReplayArgs(history_), kLastBlock,
                                 {.tag = "exactly-once money"});
    RunResult last = env_->Chainflow(ReplayArgs(history_), {}, std::chrono::minutes(3));
    fmt::print("[ exactly-once money ] last run: exit {}; {}\n", last.exit_code,
               ReadReplayProgress(*env_, kLastBlock).summary);
    if (last.exit_code != 0) {
      return fmt::format("the last replay exited {}: {}", last.exit_code, last.err);
    }
    return "";
  }

  static inline std::string skip_reason_;
  static inline std::string setup_failure_;
  static inline std::string history_;
  static inline Erc20Expectation expected_;
  static inline Erc1155Expectation erc1155_;
  static inline std::unique_ptr<PipelineEnv> env_;
  static inline KillTally kills_;
};

// One test, so the kills run once (each ctest test is its own process).
TEST_F(ExactlyOnceMoneyTest, BalancesSupplyAndOutputTopicsAreExactAfterRandomKills) {
  EXPECT_GE(kills_.mid_work, kMinKillsMidWork)
      << "too few kills left work behind: the replay got faster, lower kMaxDelayMs";
  EXPECT_GE(kills_.mid_processing, kMinKillsMidProcessing)
      << "too few kills landed while the processors were moving";
  ExpectBalancesAndSupply(*env_, expected_);
  ExpectNftBalances(*env_, erc1155_);
  ExpectEachOutputEventOnce(*env_, expected_, kKongzTransfers, erc1155_.records);
  ExpectNothingDeadLettered(*env_);
}

}  // namespace
}  // namespace chainflow::testing
