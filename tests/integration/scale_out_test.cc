// Scale-out under churn, modelled on Kafka's streams_eos_test: three
// `chainflow process` instances of one deployment share the tasks through
// their processors' consumer groups while the history (CyberKongz's ERC-721
// transfers, then a generated ERC-20 history with mints and burns over 10
// weeks) is appended in slices, with intents over 10 epochs and daily
// accruals (gen_user_events) waiting in the user events topic. Between slices one instance at a time is SIGKILLed and
// restarted (at once, so it takes its tasks back under its static
// membership, and once after the session timeout, so its tasks move to the
// others and back), and a fourth instance is added and then removed. The
// instances must finish the work by themselves.
//
// Then, all stopped, a fresh instance (an empty state dir) restores every
// store from the changelogs and projects the views. A verifier reads every
// output topic read_committed and finds each output event (ce_id) once; the
// ERC-721 owners, ERC-20 balances and supply equal an independent
// computation from the file; and the state digest equals that of a clean
// single-instance replay of the same file and user events in a deployment of
// its own, and so do the intents, epochs, settlements and accruals tables.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <set>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/integration/scale_out_support.h"

namespace chainflow::testing {
namespace {

constexpr size_t kKongzTransfers = 15188;
constexpr int kTransfers = 120'000;
constexpr int kTokens = 3;
constexpr int kAccounts = 2'000;
constexpr char kBurns[] = "0.05";
constexpr int kSlices = 7;
// The broker's smallest (group.min.session.timeout.ms): a dead instance's
// tasks move after at most this long.
constexpr int kSessionTimeoutMs = 6000;
constexpr int kIntents = 3000;
constexpr int kEpochs = 10;
// The intents processor on, accruing the token gen_history writes first.
constexpr char kIntentsToml[] =
    "[intents]\nchains = \"mainnet\"\n"
    "accrual_tokens = \"mainnet:0x00000000000000000000000000000000e20c0ffe\"\n"
    "accrual_rate_bps = 5\n";

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    history_ = fmt::format("/tmp/cf_it_scale_out_{}.ndjson", ::getpid());
    const std::string error =
        WriteKongzThenErc20History(history_, kTransfers, kTokens, kAccounts, kBurns);
    ASSERT_TRUE(error.empty()) << error;
  }
  void TearDown() override {
    if (history_.empty()) return;
    std::filesystem::remove(history_);
    for (int i = 0; i < kSlices; ++i) std::filesystem::remove(fmt::format("{}.part{}", history_, i));
  }

  // A `process` instance of `env` with a state dir (and so an instance id)
  // of its own.
  static std::unique_ptr<Subprocess> StartInstance(const PipelineEnv& env, const std::string& id) {
    return testing::StartInstance(
        env, id, {{"CHAINFLOW_ENGINE_SESSION_TIMEOUT_MS", std::to_string(kSessionTimeoutMs)}});
  }

  std::string history_;
};

TEST_F(ScaleOutTest, InstancesKilledAddedAndRemovedLoseAndDuplicateNothing) {
  const Erc20Expectation expected = ExpectedErc20FromFile(history_);
  ASSERT_EQ(expected.transfers, static_cast<size_t>(kTransfers));
  const std::vector<std::string> parts = SplitByBlock(history_, kSlices);
  ASSERT_EQ(parts.size(), static_cast<size_t>(kSlices));

  PipelineEnv env("scaleout", 8, 2000, kIntentsToml);
  AppendUserEvents(env, history_, kIntents, kEpochs);
  struct RemoveInstanceDirs {
    const PipelineEnv& env;
    ~RemoveInstanceDirs() {
      for (const char* id : {"a", "b", "c", "d"}) {
        std::filesystem::remove_all(InstanceStateDir(env, id));
      }
    }
  } remove_instance_dirs{env};
  std::map<std::string, std::unique_ptr<Subprocess>> instances;
  for (const char* id : {"a", "b", "c"}) instances[id] = StartInstance(env, id);
  auto log = [](const std::string& what) { fmt::print("[ scale-out ] {}\n", what); };
  const auto started = std::chrono::steady_clock::now();

  AppendSlice(env, parts[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  log("SIGKILL a, restarted at once (static membership: its tasks come back)");
  instances["a"]->Kill(SIGKILL);
  instances["a"]->Wait();
  instances["a"] = StartInstance(env, "a");
  AppendSlice(env, parts[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  log("SIGKILL b mid-slice, restarted after 1 s");
  AppendSlice(env, parts[2]);
  instances["b"]->Kill(SIGKILL);
  instances["b"]->Wait();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  instances["b"] = StartInstance(env, "b");

  log("SIGKILL c, restarted after its session expired (its tasks move to a and b, then back)");
  AppendSlice(env, parts[3]);
  instances["c"]->Kill(SIGKILL);
  instances["c"]->Wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(kSessionTimeoutMs + 3000));
  instances["c"] = StartInstance(env, "c");

  log("d added");
  instances["d"] = StartInstance(env, "d");
  AppendSlice(env, parts[4]);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  log("d removed (SIGTERM: a clean stop; its tasks move after the session timeout)");
  AppendSlice(env, parts[5]);
  instances["d"]->Kill(SIGTERM);
  EXPECT_EQ(instances["d"]->Wait(std::chrono::seconds(60)), 0) << instances["d"]->Stderr();
  instances.erase("d");
  log("SIGKILL a again, restarted at once");
  AppendSlice(env, parts[6]);
  instances["a"]->Kill(SIGKILL);
  instances["a"]->Wait();
  instances["a"] = StartInstance(env, "a");

  // The three finish the work by themselves: no lag and every partition
  // owned, twice in a row.
  std::optional<ProcessorLag> lag;
  ASSERT_TRUE(WaitUntilCaughtUp(env, std::chrono::minutes(4), &lag))
      << "processors still lag " << (lag ? lag->records : -1) << " records, unowned partitions "
      << (lag ? lag->unowned : -1);
  log(fmt::format("caught up {:.1f} s after the first slice",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                      .count()));
  for (auto& [id, p] : instances) {
    EXPECT_TRUE(p->Running()) << "instance " << id << " exited:\n" << p->Stderr();
    p->Kill(SIGTERM);
    EXPECT_EQ(p->Wait(std::chrono::seconds(60)), 0) << "instance " << id << ":\n" << p->Stderr();
  }
  instances.clear();

  // A fresh instance (the default, empty state dir) restores every store
  // from its changelog, finds nothing left to process, and projects.
  RunResult last = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", history_}, {},
                                 std::chrono::minutes(3));
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_NE(last.out.find("(0 appended"), std::string::npos) << last.out;

  EXPECT_EQ(env.NftOwners("mainnet"), ExpectedOwnersFromFile(history_));

  PipelineEnv clean("scaleout_clean", 8, 2000, kIntentsToml);
  AppendUserEvents(clean, history_, kIntents, kEpochs);
  RunResult once = clean.Chainflow({"replay", "--chain", "mainnet", "--from-file", history_}, {},
                                   std::chrono::minutes(3));
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_EQ(env.Digest(), clean.Digest())
      << "the stores restored from the changelogs differ from a clean single-instance run's";
  EXPECT_NE(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status = 'settled'"),
            "0");
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status IN "
                            "('submitted', 'approved')"),
            "0")
      << "intents left undecided";
  // Settled intents move balances and accruals mint: the token views are
  // the clean run's, not the file's.
  for (const char* table : {"token_balances", "token_supply", "intents", "epochs", "epoch_totals",
                            "settlements", "accruals"}) {
    EXPECT_EQ(TableDigest(env, table), TableDigest(clean, table)) << "chainflow." << table;
  }
  // The verifier: every record id the clean run wrote, once, and no other.
  const auto ids = OutputIds(env);
  const auto clean_ids = OutputIds(clean);
  for (const auto& [suffix, want] : clean_ids) {
    const std::set<std::string>& got = ids.at(suffix);
    EXPECT_EQ(got.size(), want.size()) << suffix;
    // token.balances names its records by their token.deltas offsets, and
    // the splitter tasks' appends interleave there differently in every
    // run: only the count is comparable (its view is compared above).
    if (std::string(suffix) != "token.balances") {
      EXPECT_TRUE(got == want) << suffix << ": the ids differ from the clean run's";
    }
    fmt::print("[ scale-out ] {}: {} records, each once\n", suffix, got.size());
  }
  EXPECT_GT(ids.at("token.balances").size(), 2 * expected.transfers);
}

}  // namespace
}  // namespace chainflow::testing
