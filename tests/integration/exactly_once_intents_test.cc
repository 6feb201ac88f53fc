// Exactly-once on the intents path under kills of `chainflow replay` (issue
// 12's second criterion with intents in the history): CyberKongz's ERC-721
// transfers and a generated ERC-20 history (gen_history: 3 tokens, mints and
// burns) are replayed into one deployment while intents over 10 epochs and
// the API's clock ticks (gen_user_events) wait on its user events topic, and
// the replay is SIGKILLed from outside at seeded random moments
// (random_kills.h; every role runs in a replay: ingest, the token splitter,
// the intents processor with its feedback loop, the epochs processor and the
// projections) before a last run finishes it.
//
// Settled intents move balances and accruals mint, so the views are compared
// with a clean run of the same input in a deployment of its own: the state
// digest, the token, intents, epochs, settlements and accruals tables, and
// every output topic read read_committed (each record once, the clean run's
// ids); NFT owners also against the file, and nothing dead-lettered.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/integration/random_kills.h"
#include "tests/integration/scale_out_support.h"

namespace chainflow::testing {
namespace {

// 100 ERC-20 logs a block from block 18,000,000 (gen_history); the history
// spans ~10 weeks of event time, so 10 epochs end inside it.
constexpr int kTransfers = 40'000;
constexpr int kTokens = 3;
constexpr int kAccounts = 500;
constexpr char kBurns[] = "0.05";
constexpr int64_t kLastBlock = 18'000'000 + (kTransfers - 1) / 100;
constexpr int kIntents = 1500;
constexpr int kEpochs = 10;
constexpr int kMinKillsMidWork = 8;
constexpr int kMinKillsMidProcessing = 3;

std::string IntentsToml() {
  return GeneratedHistoryIntentsToml() + KongzThenErc20Contracts(kTokens);
}

std::vector<std::string> ReplayArgs(const std::string& history) {
  return {"replay", "--chain", "mainnet", "--from-file", history};
}

TEST(ExactlyOnceIntentsTest, ReplayKilledAtRandomMomentsEndsLikeACleanRun) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  const std::string history = fmt::format("/tmp/cf_it_eo_intents_{}.ndjson", ::getpid());
  struct RemoveHistory {
    std::string path;
    ~RemoveHistory() { std::filesystem::remove(path); }
  } remove_history{history};
  const std::string error =
      WriteKongzThenErc20History(history, kTransfers, kTokens, kAccounts, kBurns);
  ASSERT_TRUE(error.empty()) << error;

  PipelineEnv env("eointents", 8, 5000, IntentsToml());
  AppendUserEvents(env, history, kIntents, kEpochs);
  // Two kills more than the floors ask for, then a run that finishes. The
  // delays (0.7-2.5 s) start a little later than the money test's (a longer
  // start-up); with 0.7-4 s a fast machine finished the work in 7 runs.
  const KillTally kills =
      KillAtRandomMoments(env, ReplayArgs(history), kLastBlock,
                          {.tag = "exactly-once intents",
                           .min_delay_ms = 700,
                           .max_delay_ms = 2500,
                           .enough_mid_work = kMinKillsMidWork + 2,
                           .enough_mid_processing = kMinKillsMidProcessing + 2});
  EXPECT_GE(kills.mid_work, kMinKillsMidWork)
      << "too few kills left work behind: the replay got faster, lower the delays";
  EXPECT_GE(kills.mid_processing, kMinKillsMidProcessing)
      << "too few kills landed while the processors were moving";
  RunResult last = env.Chainflow(ReplayArgs(history), {}, std::chrono::minutes(3));
  ASSERT_EQ(last.exit_code, 0) << last.err;
  fmt::print("[ exactly-once intents ] last run: {}\n",
             ReadReplayProgress(env, kLastBlock).summary);

  PipelineEnv clean("eointents_clean", 8, 5000, IntentsToml());
  AppendUserEvents(clean, history, kIntents, kEpochs);
  RunResult once = clean.Chainflow(ReplayArgs(history), {}, std::chrono::minutes(3));
  ASSERT_EQ(once.exit_code, 0) << once.err;

  EXPECT_EQ(env.Digest(), clean.Digest()) << "the state differs from a clean run's";
  EXPECT_EQ(env.NftOwners("mainnet"), ExpectedOwnersFromFile(history));
  EXPECT_NE(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status = 'settled'"),
            "0");
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.intents"), std::to_string(kIntents));
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status IN "
                            "('submitted', 'approved')"),
            "0")
      << "intents left undecided";
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.epochs"), std::to_string(kEpochs));
  ExpectLikeCleanRun(env, clean,
                     {"nft_owners", "token_balances", "token_supply", "intents", "epochs",
                      "epoch_totals", "settlements", "accruals"},
                     "exactly-once intents");
  ExpectNothingDeadLettered(env);
}

}  // namespace
}  // namespace chainflow::testing
