// Exactly-once, shown by killing: replays are SIGKILLed at named points on
// the commit paths of ingest, the processor and the projector, and at
// arbitrary moments from outside; after a final uninterrupted run the views
// and the state digest must equal a clean run's.
#include <signal.h>

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

const std::string kKongz = SharedData("evm/cyberkongz/transfers.logs.ndjson");

class ExactlyOnceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) {
      skip_reason_ = why;
      return;
    }
    clean_ = std::make_unique<PipelineEnv>("clean");
    RunResult r = clean_->Chainflow({"replay", "--chain", "mainnet", "--from-file", kKongz});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    clean_digest_ = clean_->Digest();
    clean_owners_ = clean_->NftOwners("mainnet");
    ASSERT_EQ(clean_owners_.size(), 4676u);
  }
  static void TearDownTestSuite() { clean_.reset(); }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }

  // Runs replays that die at `crash_points` in turn, then one that finishes,
  // and compares the result with the clean run.
  void CrashThenFinish(const std::string& name, const std::vector<std::string>& crash_points,
                       int batch_size = 5000) {
    PipelineEnv env(name, 8, batch_size);
    for (const std::string& point : crash_points) {
      RunResult r = RunCommand(env.Argv({"replay", "--chain", "mainnet", "--from-file", kKongz}),
                        {{"CHAINFLOW_CRASH_AT", point}});
      EXPECT_EQ(r.exit_code, 128 + SIGKILL)
          << "crash point " << point << " was not reached; stderr: " << r.err;
    }
    RunResult last = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", kKongz});
    ASSERT_EQ(last.exit_code, 0) << last.err;
    ExpectSameAsClean(env);
  }

  static void ExpectSameAsClean(const PipelineEnv& env) {
    EXPECT_EQ(env.Digest(), clean_digest_);
    auto owners = env.NftOwners("mainnet");
    EXPECT_EQ(owners.size(), clean_owners_.size());
    EXPECT_TRUE(owners == clean_owners_) << "nft_owners differs from the clean run";
    // Exactly once in the log too: every chain event appended once.
    EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.nft_owners"), "4676");
  }

  static inline std::string skip_reason_;
  static inline std::unique_ptr<PipelineEnv> clean_;
  static inline std::string clean_digest_;
  static inline std::map<std::string, std::string> clean_owners_;
};

TEST_F(ExactlyOnceTest, ProcessorKilledOnItsCommitPath) {
  // before_transaction_commit: outputs, changelog records and offsets sent
  // in an open transaction, which the restarted producer aborts.
  // after_transaction_commit: the transaction committed, no local store yet:
  // the restart restores the stores from their changelogs.
  // after_task_commit: some tasks' stores committed, others not.
  // Small counts: each resumed run has less left to do, and every point must
  // still be reached for the run to die there.
  CrashThenFinish("kproc", {"runtime.after_transaction_commit:3", "runtime.after_task_commit:5",
                            "runtime.before_transaction_commit:2",
                            "runtime.after_transaction_commit:7",
                            "runtime.after_task_commit:11"});
}

TEST_F(ExactlyOnceTest, ProjectorKilledOnItsCommitPath) {
  // Batches of at most 500 records: the four runs together need 20 commits,
  // and 15,188 ownership records give at least 31 however fast the
  // processor fills the topic.
  CrashThenFinish("kproj",
                  {"projection.before_commit:2", "projection.after_commit:3",
                   "projection.before_commit:6", "projection.after_commit:9"},
                  500);
}

TEST_F(ExactlyOnceTest, IngestKilledWhileAppending) {
  // Mid-file, with records in flight that may or may not have been appended.
  // The file takes 114,548 sends (15,188 events, a BlockEnd to each of 8
  // partitions after each of 12,420 blocks), and a run resends only what
  // earlier runs did not deliver: the first two deliver up to 44,998, so the
  // third crash point must stay below 69,550 to be reached however many were
  // in flight at the kills (90,000 was reached only when most of them were).
  CrashThenFinish("king", {"ingest.before_send:5000", "ingest.before_send:40000",
                           "ingest.before_send:65000"});
}

TEST_F(ExactlyOnceTest, KilledFromOutsideAtArbitraryMoments) {
  PipelineEnv env("kext");
  for (int delay_ms : {700, 1500, 2500, 3500}) {
    Subprocess p(env.Argv({"replay", "--chain", "mainnet", "--from-file", kKongz}));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    p.Kill(SIGKILL);
    p.Wait();
  }
  RunResult last = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", kKongz});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  ExpectSameAsClean(env);
}

}  // namespace
}  // namespace chainflow::testing
