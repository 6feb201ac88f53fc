// `chainflow replay` of an ERC-20 history while intents already wait on the
// user events topic (issue 4's replay benchmark in small): when replay exits,
// the intents processor's feedback loop (its settlement marks and deltas go
// back into its own input, the epochs processor reads what it writes) must
// have drained. Every intent is decided in the intents view, every epoch
// that ended before the last event time has its EpochSettled record, and
// nothing was dead-lettered. The history and the user events come from the
// benchmark generators (gen_history --standard erc20, gen_user_events).
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

constexpr char kToken[] = "0x00000000000000000000000000000000e20c0ffe";  // gen_history's
constexpr int kIntents = 2000;
// gen_history's default ERC-20 history starts at 2811 * 604800 and spans
// 10.2 weeks: epochs 2811..2820 (7 days from genesis 0) end inside it.
constexpr int kFirstEpoch = 2811;
constexpr int kEpochs = 10;

TEST(ReplayIntentsTest, ReplayExitsOnlyOnceIntentsAndEpochsAreDecided) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  PipelineEnv env("replay_intents", 4, 5000,
                  fmt::format("[intents]\nchains = \"mainnet\"\naccrual_tokens = \"mainnet:{}\"\n"
                              "accrual_rate_bps = 5\n",
                              kToken));
  const std::string history = env.state_dir() + ".history.ndjson";
  struct RemoveHistory {
    std::string path;
    ~RemoveHistory() { std::filesystem::remove(path); }
  } remove_history{history};

  // chainflow::testing::Run: the subprocess helper, not gtest's Test::Run.
  RunResult gen = chainflow::testing::Run({GEN_HISTORY_BINARY, "--standard", "erc20",
                                           "--transfers", "20000", "--accounts", "100", "--out",
                                           history});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  gen = chainflow::testing::Run({GEN_USER_EVENTS_BINARY, "-c", env.config_path(), "--history",
                                 history, "--chain", "mainnet", "--intents",
                                 std::to_string(kIntents), "--epochs", std::to_string(kEpochs)});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  RunResult replay = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", history});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;

  // The view holds every intent, none of them still waiting for a decision
  // (submitted) or a settlement (approved: all their epochs have ended).
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.intents"),
            std::to_string(kIntents));
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.intents "
                            "WHERE status IN ('submitted', 'approved')"),
            "0");
  for (const char* status : {"settled", "rejected", "expired"}) {
    EXPECT_NE(env.QueryScalar(fmt::format(
                  "SELECT count(*) FROM chainflow.intents WHERE status = '{}'", status)),
              "0")
        << "the generated intents should include some " << status;
  }

  std::set<std::string> epochs;
  for (const std::string& key : KcatLines(env.prefix() + ".settlements", "%k")) {
    if (key.rfind("epoch/", 0) == 0) epochs.insert(key);
  }
  std::set<std::string> expected;
  for (int e = kFirstEpoch; e < kFirstEpoch + kEpochs; ++e) {
    expected.insert(fmt::format("epoch/{}", e));
  }
  EXPECT_EQ(epochs, expected);
  EXPECT_FALSE(KcatLines(env.prefix() + ".accruals", "%k").empty());
  EXPECT_TRUE(KcatLines(env.prefix() + ".dlq", "%h").empty());
}

}  // namespace
}  // namespace chainflow::testing
