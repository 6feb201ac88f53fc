// Standby replicas (`[engine] num_standby_replicas`, engine/runtime/README.md
// "Standby replicas"): two `chainflow process` instances, a and b, of one
// deployment with one standby each, share the tasks of every processor
// (intents' co-partitioned ones included) while CyberKongz's ERC-721
// transfers, a generated ERC-20 history and intents over a few epochs are
// appended in slices. `chainflow status` must show each task's standby on
// the other instance. Then a is SIGKILLed mid-slice: after the session
// timeout the group gives its tasks to b, which keeps warm copies of them,
// so b must restore only what its copies had not read yet: under a tenth
// of what a's tasks' changelogs hold (with CF_STANDBY_TEST_REPLICAS=0 the
// same run restores them whole and fails here).
//
// Then b alone finishes the work, and exactly-once holds as in
// ScaleOutTest: b's own store of every task it owns (the copies that became
// its tasks among them) equals the store restored from that task's
// changelog, and a fresh instance restoring everything from the changelogs,
// the views and every output record equal a clean single-instance run's.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/log/admin.h"
#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/integration/scale_out_support.h"

namespace chainflow::testing {
namespace {

namespace core = engine::core;
namespace log = engine::log;
using engine::log::Admin;

constexpr int kTransfers = 40'000;
constexpr int kTokens = 3;
constexpr int kAccounts = 1'000;
constexpr char kBurns[] = "0.05";
constexpr int kSlices = 3;
constexpr int kSessionTimeoutMs = 6000;  // the broker's smallest
constexpr int kIntents = 1000;
constexpr int kEpochs = 4;

// One processor partition of `chainflow status --json`.
struct Row {
  std::string processor;
  std::string topic;
  int partition = 0;
  std::string owner;  // "" when none
  std::vector<std::string> standbys;
};

std::vector<Row> StatusRows(const PipelineEnv& env,
                            const std::map<std::string, std::string>& vars) {
  RunResult r = env.Chainflow({"status", "--json"}, vars, std::chrono::seconds(30));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.out, ec);
  std::vector<Row> rows;
  if (r.exit_code != 0 || ec || !v.is_object()) return rows;
  for (const auto& c : v.at("consumers").as_array()) {
    const auto& o = c.as_object();
    if (o.at("kind").as_string() != "processor") continue;
    Row row{std::string(o.at("name").as_string()), std::string(o.at("topic").as_string()),
            static_cast<int>(o.at("partition").as_int64()), "", {}};
    if (!o.at("owner").is_null()) row.owner = std::string(o.at("owner").as_string());
    for (const auto& s : o.at("standbys").as_array()) {
      row.standbys.emplace_back(s.as_string());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// The changelog partition of a processor partition (app/topics.h's naming:
// intents is co-partitioned, one changelog for both its inputs).
log::TopicPartition ChangelogOf(const PipelineEnv& env, const Row& row) {
  std::string topic = fmt::format("{}.{}.changelog", env.prefix(), row.processor);
  if (row.processor != "intents") topic += row.topic.substr(env.prefix().size());
  return {topic, core::PartitionId(row.partition)};
}

// The sum of every "restored N changelog records" a log holds.
int64_t RestoredRecords(const std::string& log) {
  static const std::regex kRestored("restored ([0-9]+) changelog records");
  int64_t total = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), kRestored), end; it != end; ++it) {
    total += std::stoll((*it)[1].str());
  }
  return total;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class StandbyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    if (const char* r = std::getenv("CF_STANDBY_TEST_REPLICAS")) replicas_ = std::atoi(r);
    history_ = fmt::format("/tmp/cf_it_standby_{}.ndjson", ::getpid());
    const std::string error =
        WriteKongzThenErc20History(history_, kTransfers, kTokens, kAccounts, kBurns);
    ASSERT_TRUE(error.empty()) << error;
  }
  void TearDown() override {
    if (history_.empty()) return;
    std::filesystem::remove(history_);
    for (int i = 0; i < kSlices; ++i) {
      std::filesystem::remove(fmt::format("{}.part{}", history_, i));
    }
  }

  std::map<std::string, std::string> Vars() const {
    return {{"CHAINFLOW_ENGINE_NUM_STANDBY_REPLICAS", std::to_string(replicas_)}};
  }

  std::unique_ptr<Subprocess> Start(const PipelineEnv& env, const std::string& id) const {
    std::map<std::string, std::string> vars = Vars();
    vars["CHAINFLOW_ENGINE_SESSION_TIMEOUT_MS"] = std::to_string(kSessionTimeoutMs);
    vars["CHAINFLOW_ENGINE_INSTANCE_ID"] = "sb-" + id;
    return StartInstance(env, id, vars);
  }

  int replicas_ = 1;
  std::string history_;
};

TEST_F(StandbyTest, AKilledOwnersTasksMoveToTheirWarmCopiesAndStayExactlyOnce) {
  const std::vector<std::string> parts = SplitByBlock(history_, kSlices);
  ASSERT_EQ(parts.size(), static_cast<size_t>(kSlices));
  auto say = [](const std::string& what) { fmt::print("[ standby ] {}\n", what); };

  PipelineEnv env("standby", 8, 2000, GeneratedHistoryIntentsToml());
  struct RemoveInstanceDirs {
    const PipelineEnv& env;
    ~RemoveInstanceDirs() {
      for (const char* id : {"a", "b"}) std::filesystem::remove_all(InstanceStateDir(env, id));
    }
  } remove_instance_dirs{env};
  std::map<std::string, std::unique_ptr<Subprocess>> instances;
  for (const char* id : {"a", "b"}) instances[id] = Start(env, id);

  // Both in every group before any data, so neither has stores of the
  // other's tasks beyond what a standby copy gives it.
  auto both_own = [&] {
    std::vector<Row> rows = StatusRows(env, Vars());
    std::set<std::string> owners;
    for (const Row& r : rows) {
      if (r.owner.empty()) return false;
      owners.insert(r.owner.substr(0, 4));  // "sb-a" / "sb-b"
    }
    return !rows.empty() && owners.size() == 2;
  };
  const auto joined_by = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!both_own() && std::chrono::steady_clock::now() < joined_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(both_own()) << "a and b never shared the tasks";

  AppendUserEvents(env, history_, kIntents, kEpochs);
  for (int i = 0; i + 1 < kSlices; ++i) AppendSlice(env, parts[static_cast<size_t>(i)]);
  std::optional<ProcessorLag> lag;
  ASSERT_TRUE(WaitUntilCaughtUp(env, std::chrono::minutes(4), &lag))
      << "lag " << (lag ? lag->records : -1);

  // Who owns what, and where its standby is (status shows standbys while
  // the group is stable: a few tries).
  std::vector<Row> before;
  for (int i = 0; i < 20; ++i) {
    before = StatusRows(env, Vars());
    if (!before.empty() && std::all_of(before.begin(), before.end(), [&](const Row& r) {
          return !r.owner.empty() && (replicas_ == 0 || !r.standbys.empty());
        })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::set<log::TopicPartition> moved;  // changelog partitions of a's tasks
  for (const Row& r : before) {
    const std::string other = r.owner.starts_with("sb-a") ? "sb-b" : "sb-a";
    if (replicas_ > 0) {
      EXPECT_EQ(r.standbys, std::vector<std::string>({other}))
          << r.processor << " " << r.topic << "/" << r.partition << " owned by " << r.owner;
    } else {
      EXPECT_TRUE(r.standbys.empty());
    }
    if (r.owner.starts_with("sb-a")) moved.insert(ChangelogOf(env, r));
  }
  ASSERT_FALSE(moved.empty());
  // The copies catch up within their poll interval; give them a moment.
  std::this_thread::sleep_for(std::chrono::seconds(3));

  say("SIGKILL a mid-slice; its tasks move to b after the session timeout");
  const size_t b_log_at_kill = instances["b"]->Stderr().size();
  AppendSlice(env, parts.back());
  instances["a"]->Kill(SIGKILL);
  instances["a"]->Wait();
  if (std::getenv("CF_STANDBY_TEST_KEEP") != nullptr) {
    std::ofstream("/tmp/cf_standby_a.log") << instances["a"]->Stderr();
  }
  const auto killed = std::chrono::steady_clock::now();
  // b owns every partition (takeover), then has caught up (resumed).
  std::optional<double> takeover_s;
  const auto deadline = killed + std::chrono::minutes(4);
  while (!takeover_s && std::chrono::steady_clock::now() < deadline) {
    std::vector<Row> rows = StatusRows(env, Vars());
    const bool b_owns_all =
        !rows.empty() && std::all_of(rows.begin(), rows.end(), [](const Row& r) {
          return r.owner.starts_with("sb-b");
        });
    if (b_owns_all) {
      takeover_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  ASSERT_TRUE(takeover_s.has_value()) << "b never took a's tasks";
  // Also until the broker has aborted a's open transactions (what b commits
  // behind them is not lag until then).
  ASSERT_TRUE(WaitUntilCaughtUp(env, std::chrono::minutes(4), &lag))
      << "lag " << (lag ? lag->records : -1);
  const double resumed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();

  // What b restored when a's tasks arrived, against what their changelogs hold.
  const std::string b_log = instances["b"]->Stderr().substr(b_log_at_kill);
  const int64_t restored = RestoredRecords(b_log);
  auto admin = Admin::Open("127.0.0.1:9092");
  ASSERT_TRUE(admin.has_value()) << admin.error().ToString();
  int64_t changelog = 0;
  for (const log::TopicPartition& tp : moved) {
    auto marks = admin.value()->QueryWatermarks(tp.topic, tp.partition);
    ASSERT_TRUE(marks.has_value()) << tp.topic << ": " << marks.error().ToString();
    changelog += marks.value().high.value();
  }
  say(fmt::format("standbys {}: b restored {} changelog records for a's {} tasks, whose "
                  "changelogs end at offsets summing to {}; copies handed over: {}; b owned "
                  "everything {:.1f} s after the kill, caught up after {:.1f} s",
                  replicas_, restored, moved.size(), changelog,
                  Count(b_log, "handed to its active task"), *takeover_s, resumed_s));
  EXPECT_LT(restored * 10, changelog)
      << "b restored " << restored << " of " << changelog
      << " changelog records: its standby copies did not spare the restore";
  if (replicas_ > 0) {
    EXPECT_GT(Count(b_log, "handed to its active task"), 0u);
  }

  EXPECT_TRUE(instances["b"]->Running()) << instances["b"]->Stderr();
  const std::map<std::string, std::set<std::string>> owned = OwnedStores(env);
  ASSERT_EQ(owned.size(), 1u) << "b should own every task";
  instances["b"]->Kill(SIGTERM);
  EXPECT_EQ(instances["b"]->Wait(std::chrono::seconds(60)), 0) << instances["b"]->Stderr();
  if (std::getenv("CF_STANDBY_TEST_KEEP") != nullptr) {
    std::ofstream("/tmp/cf_standby_b.log") << instances["b"]->Stderr();
    std::filesystem::copy(InstanceStateDir(env, "b"), "/tmp/cf_standby_b_state",
                          std::filesystem::copy_options::recursive);
  }
  instances.clear();

  // A fresh instance restores every store from the changelogs, finds
  // nothing left, and projects the views.
  RunResult last = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", history_}, {},
                                 std::chrono::minutes(3));
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_NE(last.out.find("(0 appended"), std::string::npos) << last.out;
  EXPECT_EQ(env.NftOwners("mainnet"), ExpectedOwnersFromFile(history_));

  PipelineEnv clean("standby_clean", 8, 2000, GeneratedHistoryIntentsToml());
  AppendUserEvents(clean, history_, kIntents, kEpochs);
  RunResult once = clean.Chainflow({"replay", "--chain", "mainnet", "--from-file", history_}, {},
                                   std::chrono::minutes(3));
  ASSERT_EQ(once.exit_code, 0) << once.err;
  const std::string clean_digest = clean.Digest();
  // b's own stores of the tasks it owns (its standby copies of a's among
  // them) against the stores restored from their changelogs, task by task.
  const std::map<std::string, std::string> from_changelogs = StoreDigests(env, env.state_dir());
  const std::map<std::string, std::string> own = StoreDigests(env, InstanceStateDir(env, "b"));
  if (std::getenv("CF_STANDBY_TEST_KEEP") != nullptr) {
    std::filesystem::copy(env.state_dir(), "/tmp/cf_standby_restored_state",
                          std::filesystem::copy_options::recursive);
  }
  size_t compared = 0;
  for (const auto& [id, stores] : owned) {
    for (const std::string& store : stores) {
      ASSERT_EQ(own.count(store), 1u) << "b owned " << store << " but has no such store";
      ASSERT_EQ(from_changelogs.count(store), 1u) << "no restored store " << store;
      EXPECT_EQ(own.at(store), from_changelogs.at(store))
          << "b's own store " << store << " differs from the one restored from its changelog";
      ++compared;
    }
  }
  EXPECT_GT(compared, 0u);
  EXPECT_EQ(env.Digest(), clean_digest)
      << "the stores restored from the changelogs differ from a clean run's";
  EXPECT_NE(env.QueryScalar("SELECT count(*) FROM chainflow.intents WHERE status = 'settled'"),
            "0");
  ExpectLikeCleanRun(env, clean,
                     {"token_balances", "token_supply", "intents", "epochs", "epoch_totals",
                      "settlements", "accruals"},
                     "standby");
}

}  // namespace
}  // namespace chainflow::testing
