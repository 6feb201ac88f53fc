// Scale-out under churn, modelled on Kafka's streams_eos_test: three
// `chainflow process` instances of one deployment share the tasks through
// their processors' consumer groups while the history (CyberKongz's ERC-721
// transfers, then a generated ERC-20 history with mints and burns over 10
// weeks, ERC-1155 singles and batches mixed into its blocks) is appended in
// slices, with intents over 10 epochs and daily accruals (gen_user_events)
// waiting in the user events topic. Between slices one instance at a time is
// SIGKILLed and restarted (at once, so it takes its tasks back under its
// static membership, and once after the session timeout, so its tasks move to
// the others and back), and a fourth instance is added and then removed. The
// instances must finish the work by themselves.
//
// Then, all stopped, a fresh instance (an empty state dir) restores every
// store from the changelogs and projects the views. A verifier reads every
// output topic read_committed and finds each output event (ce_id) once, and
// one ERC-1155 balance change per non-zero side of each ERC-1155 transfer;
// the ERC-721 owners, ERC-1155 balances, ERC-20 balances and supply equal an
// independent computation from the file; nothing is dead-lettered; and the
// state digest equals that of a clean single-instance replay of the same file
// and user events in a deployment of its own, and so do the NFT, token,
// intents, epochs, settlements and accruals tables. Each instance's own
// stores of the tasks it owned at the end (its local copies, after tasks moved
// away and back) equal the stores restored from the changelogs.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/erc1155_checks.h"
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
// ERC-1155 logs spread among the ERC-20 transfers (gen_history's defaults:
// 40 ids, ~30 % batches of up to 6 ids): ~40,000 transfers.
constexpr int kErc1155Logs = 24'000;
constexpr int kSlices = 7;
// The broker's smallest (group.min.session.timeout.ms): a dead instance's
// tasks move after at most this long.
constexpr int kSessionTimeoutMs = 6000;
constexpr int kIntents = 3000;
constexpr int kEpochs = 10;
// The intents processor on, accruing the token gen_history writes first,
// and the history's contracts (the ERC-1155 one as erc1155).
std::string ExtraToml() {
  return GeneratedHistoryIntentsToml() + KongzThenErc20Contracts(kTokens);
}

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    history_ = fmt::format("/tmp/cf_it_scale_out_{}.ndjson", ::getpid());
    const std::string error =
        WriteKongzThenErc20History(history_, kTransfers, kTokens, kAccounts, kBurns,
                                   kErc1155Logs);
    ASSERT_TRUE(error.empty()) << error;
  }
  void TearDown() override {
    if (history_.empty()) return;
    std::filesystem::remove(history_);
    for (int i = 0; i < kSlices; ++i) {
      std::filesystem::remove(fmt::format("{}.part{}", history_, i));
    }
  }

  std::string history_;
};

TEST_F(ScaleOutTest, InstancesKilledAddedAndRemovedLoseAndDuplicateNothing) {
  const Erc20Expectation expected = ExpectedErc20FromFile(history_);
  ASSERT_EQ(expected.transfers, static_cast<size_t>(kTransfers));
  const Erc1155Expectation erc1155 = ExpectedErc1155FromFile(history_);
  ASSERT_EQ(erc1155.error, "");
  ASSERT_GE(erc1155.transfers, 30'000u);
  ASSERT_GT(erc1155.singles, 0u);
  ASSERT_GE(erc1155.largest_batch, 4u);
  fmt::print("[ scale-out ] ERC-1155: {} singles, {} batches (at most {} ids), {} transfers of "
             "{} ids\n",
             erc1155.singles, erc1155.batches, erc1155.largest_batch, erc1155.transfers,
             erc1155.token_ids);
  const std::vector<std::string> parts = SplitByBlock(history_, kSlices);
  ASSERT_EQ(parts.size(), static_cast<size_t>(kSlices));

  PipelineEnv env("scaleout", 8, 2000, ExtraToml());
  AppendUserEvents(env, history_, kIntents, kEpochs);
  struct RemoveInstanceDirs {
    const PipelineEnv& env;
    ~RemoveInstanceDirs() {
      for (const char* id : {"a", "b", "c", "d"}) {
        std::filesystem::remove_all(InstanceStateDir(env, id));
      }
    }
  } remove_instance_dirs{env};
  const std::map<std::string, std::string> session{
      {"CHAINFLOW_ENGINE_SESSION_TIMEOUT_MS", std::to_string(kSessionTimeoutMs)}};
  std::map<std::string, std::unique_ptr<Subprocess>> instances;
  for (const char* id : {"a", "b", "c"}) instances[id] = StartInstance(env, id, session);
  // CF_SCALEOUT_KEEP_LOGS=<dir>: every instance's log, appended to
  // <dir>/<id>.log as each one ends (for a failure that needs them).
  const char* keep_logs = std::getenv("CF_SCALEOUT_KEEP_LOGS");
  auto keep_log = [&](const std::string& id, const std::string& text) {
    if (keep_logs == nullptr) return;
    std::filesystem::create_directories(keep_logs);
    std::ofstream(fmt::format("{}/{}.log", keep_logs, id), std::ios::app) << text;
  };
  auto restart = [&](const std::string& id) {
    instances[id]->Wait();
    keep_log(id, instances[id]->Stderr());
    instances[id] = StartInstance(env, id, session);
  };
  auto log = [](const std::string& what) { fmt::print("[ scale-out ] {}\n", what); };
  const auto started = std::chrono::steady_clock::now();

  AppendSlice(env, parts[0]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  log("SIGKILL a, restarted at once (static membership: its tasks come back)");
  instances["a"]->Kill(SIGKILL);
  restart("a");
  AppendSlice(env, parts[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  log("SIGKILL b mid-slice, restarted after 1 s");
  AppendSlice(env, parts[2]);
  instances["b"]->Kill(SIGKILL);
  instances["b"]->Wait();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  restart("b");

  log("SIGKILL c, restarted after its session expired (its tasks move to a and b, then back)");
  AppendSlice(env, parts[3]);
  instances["c"]->Kill(SIGKILL);
  instances["c"]->Wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(kSessionTimeoutMs + 3000));
  restart("c");

  log("d added");
  instances["d"] = StartInstance(env, "d", session);
  AppendSlice(env, parts[4]);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  log("d removed (SIGTERM: a clean stop; its tasks move after the session timeout)");
  AppendSlice(env, parts[5]);
  instances["d"]->Kill(SIGTERM);
  EXPECT_EQ(instances["d"]->Wait(std::chrono::seconds(60)), 0) << instances["d"]->Stderr();
  keep_log("d", instances["d"]->Stderr());
  instances.erase("d");
  log("SIGKILL a again, restarted at once");
  AppendSlice(env, parts[6]);
  instances["a"]->Kill(SIGKILL);
  restart("a");

  // The three finish the work by themselves: no lag and every partition
  // owned, twice in a row.
  std::optional<ProcessorLag> lag;
  ASSERT_TRUE(WaitUntilCaughtUp(env, std::chrono::minutes(4), &lag))
      << "processors still lag " << (lag ? lag->records : -1) << " records, unowned partitions "
      << (lag ? lag->unowned : -1);
  log(fmt::format("caught up {:.1f} s after the first slice",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                      .count()));
  const std::map<std::string, std::set<std::string>> owned = OwnedStores(env);
  EXPECT_EQ(owned.size(), 3u) << "the three instances should each own tasks at the end";
  for (auto& [id, p] : instances) {
    EXPECT_TRUE(p->Running()) << "instance " << id << " exited:\n" << p->Stderr();
    p->Kill(SIGTERM);
    EXPECT_EQ(p->Wait(std::chrono::seconds(60)), 0) << "instance " << id << ":\n" << p->Stderr();
    keep_log(id, p->Stderr());
  }
  instances.clear();

  // A fresh instance (the default, empty state dir) restores every store
  // from its changelog, finds nothing left to process, and projects.
  RunResult last = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", history_}, {},
                                 std::chrono::minutes(3));
  keep_log("final-replay", last.err);
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_NE(last.out.find("(0 appended"), std::string::npos) << last.out;

  EXPECT_EQ(env.NftOwners("mainnet"), ExpectedOwnersFromFile(history_));
  ExpectNftBalances(env, erc1155);
  ExpectNothingDeadLettered(env);

  PipelineEnv clean("scaleout_clean", 8, 2000, ExtraToml());
  AppendUserEvents(clean, history_, kIntents, kEpochs);
  RunResult once = clean.Chainflow({"replay", "--chain", "mainnet", "--from-file", history_}, {},
                                   std::chrono::minutes(3));
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_EQ(env.Digest(), clean.Digest())
      << "the stores restored from the changelogs differ from a clean single-instance run's";
  // Each instance's own copies of the tasks it owned at the end: the
  // changelogs' state, however often the tasks moved away and back.
  const std::map<std::string, std::string> restored = StoreDigests(env, env.state_dir());
  size_t compared = 0;
  for (const auto& [id, stores] : owned) {
    const std::map<std::string, std::string> own =
        StoreDigests(env, InstanceStateDir(env, id));
    for (const std::string& store : stores) {
      ASSERT_EQ(own.count(store), 1u) << "instance " << id << " owned " << store
                                      << " but has no such store";
      ASSERT_EQ(restored.count(store), 1u) << "no restored store " << store;
      EXPECT_EQ(own.at(store), restored.at(store))
          << "instance " << id << "'s own store " << store
          << " differs from the one restored from its changelog";
      ++compared;
    }
  }
  log(fmt::format("compared {} owned stores with their changelogs' state", compared));
  EXPECT_GT(compared, 0u);
  EXPECT_NE(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status = 'settled'"),
            "0");
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status IN "
                            "('submitted', 'approved')"),
            "0")
      << "intents left undecided";
  // Settled intents move balances and accruals mint: the token views are
  // the clean run's, not the file's. The verifier: every record id the clean
  // run wrote, once, and no other.
  const auto [outputs, clean_outputs] =
      ExpectLikeCleanRun(env, clean,
                         {"nft_owners", "nft_balances", "token_balances", "token_supply",
                          "intents", "epochs", "epoch_totals", "settlements", "accruals"},
                         "scale-out");
  EXPECT_GT(outputs.ids.at("token.balances").size(), 2 * expected.transfers);
  // Of each kind as many as the file makes: one OwnerChanged per ERC-721
  // transfer, one Erc1155BalanceChanged per side of an ERC-1155 transfer that
  // is not the zero address.
  for (const Outputs* o : {&outputs, &clean_outputs}) {
    const char* run = o == &outputs ? "scaled-out run" : "clean run";
    auto records = [o](const std::string& key) {
      auto it = o->of_type.find(key);
      return it == o->of_type.end() ? size_t{0} : it->second;
    };
    EXPECT_EQ(records("nft.ownership chainflow.nft.OwnerChanged"), kKongzTransfers) << run;
    EXPECT_EQ(records("nft.ownership chainflow.nft.Erc1155BalanceChanged"), erc1155.records)
        << run;
  }
}

}  // namespace
}  // namespace chainflow::testing
