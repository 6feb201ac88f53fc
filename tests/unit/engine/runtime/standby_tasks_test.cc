// Standby copies (StandbyTasks) over a fake log: a copy applies its task's
// changelog into a store in the active task's layout and ends up equal to
// the owner's store; when the group gives the task to this instance the
// runner claims the copy and restores only the changelog tail the copy had
// not read; a claimed store is never reopened as a copy until released; and
// the placement only changes while the group is stable.
#include "engine/runtime/standby_tasks.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "engine/core/metrics.h"
#include "engine/runtime/runner.h"
#include "engine/runtime/state_digest.h"
#include "engine/runtime/task.h"
#include "tests/support/fake_log.h"
#include "tests/unit/engine/runtime/runner_test_util.h"

namespace chainflow::engine::runtime {
namespace {

using core::PartitionId;
using test::CountingProcessor;
using test::Drain;
using test::kChangelog;
using test::kGroup;
using test::kIn;
using test::Transfer;
constexpr int kPartitions = 4;

class StandbyTasksTest : public test::ScratchDirTest {
 protected:
  using Member = test::GroupMember;

  static void Fill(testing::FakeLog& log, int from, int n) {
    test::FillTransfers(log, from, n, kPartitions);
  }

  static ProcessorSpec Spec() {
    return {"counting", {kIn}, {test::kOut},
            [] { return std::make_unique<CountingProcessor>(); }};
  }

  // A member with its state under `dir`; its stores are claimed from and
  // released to `standby` when given.
  Member Join(testing::FakeLog& log, const std::string& dir, StandbyTasks* standby = nullptr) {
    Member m;
    auto source = log.NewGroupSource(kGroup);
    m.source = source.get();
    m.sink = log.NewTransactionalSink();
    RunnerOptions options = test::EosOptions(log, root_ / dir, 7);
    if (standby != nullptr) {
      options.claim_store = [standby](const std::string& path) { standby->Claim(path); };
      options.release_store = [standby](const std::string& path) { standby->Release(path); };
    }
    auto r = ProcessorRunner::OpenInGroup(Spec(), std::move(options), std::move(source), *m.sink);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (r.has_value()) m.runner = std::move(r).value();
    return m;
  }

  static std::vector<log::TopicPartition> All() {
    std::vector<log::TopicPartition> out;
    for (int p = 0; p < kPartitions; ++p) out.push_back({kIn, PartitionId(p)});
    return out;
  }

  // The group as the test says: `owner`'s member holds every partition,
  // instance "b" is a member too.
  void SetGroup(const std::string& owner, const std::string& state = "Stable") {
    group_.state = state;
    group_.members = {{"m-" + owner, MemberInstanceId(owner, 0), "c", "h", All()},
                      {"m-other", MemberInstanceId(owner == "a" ? "b" : "a", 0), "c", "h", {}}};
  }

  // Standby copies on instance "b", state under `dir`.
  std::unique_ptr<StandbyTasks> OpenStandby(testing::FakeLog& log, const std::string& dir) {
    StandbyOptions options;
    options.processor = "counting";
    options.state_dir = (root_ / dir).string();
    options.layout = {false, {{kIn, kChangelog}}};
    options.instance = "b";
    options.replicas = 1;
    options.batch_size = 25;
    auto s = StandbyTasks::Open(std::move(options), log.NewSource(),
                                [this]() -> core::Result<log::GroupDescription> { return group_; });
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    return s.has_value() ? std::move(s).value() : nullptr;
  }

  // Polls until a poll applies nothing; returns the records applied.
  static size_t CatchUp(StandbyTasks& standby) {
    size_t total = 0;
    for (;;) {
      auto n = standby.PollOnce();
      EXPECT_TRUE(n.has_value()) << n.error().ToString();
      if (!n.has_value() || n.value() == 0) return total;
      total += n.value();
    }
  }

  static uint64_t Restored() {
    return core::MetricsRegistry::Global()
        .GetCounter("chainflow_state_restored_records_total", "", {{"processor", "counting"}})
        .Value();
  }

  std::string Digest(const std::string& dir) {
    auto d = StateDigest((root_ / dir).string());
    EXPECT_TRUE(d.has_value()) << d.error().ToString();
    return d.has_value() ? d.value() : "";
  }

  static int64_t ChangelogEnd(const testing::FakeLog& log) {
    int64_t end = 0;
    for (int p = 0; p < kPartitions; ++p) end += log.EndOffset(kChangelog, p);
    return end;
  }

  // `a` owns every task and has applied `n` transfers; instance "b" keeps
  // placed (not yet caught-up) copies of them under "b".
  std::unique_ptr<StandbyTasks> OwnerWithCopies(testing::FakeLog& log, Member& a, int n) {
    a = Join(log, "a");
    a.source->Give(All());
    Fill(log, 0, n);
    Drain(*a.runner);
    SetGroup("a");
    std::unique_ptr<StandbyTasks> standby = OpenStandby(log, "b");
    if (standby != nullptr) {
      EXPECT_TRUE(standby->Refresh().ok());
    }
    return standby;
  }

  log::GroupDescription group_;
};

TEST_F(StandbyTasksTest, ACopyAppliesTheChangelogIntoTheActiveLayoutAndEqualsTheOwnersStore) {
  testing::FakeLog log;
  Member a;
  std::unique_ptr<StandbyTasks> standby = OwnerWithCopies(log, a, 300);
  ASSERT_NE(standby, nullptr);
  EXPECT_EQ(standby->Tasks(),
            std::vector<std::string>({"t.in-0", "t.in-1", "t.in-2", "t.in-3"}));
  EXPECT_EQ(CatchUp(*standby), static_cast<size_t>(ChangelogEnd(log)));
  for (const auto& [task, lag] : standby->Lag()) EXPECT_EQ(lag, 0) << task;
  EXPECT_EQ(standby->Lag().size(), 4u);
  // More work for the owner: the copy follows.
  Fill(log, 300, 100);
  Drain(*a.runner);
  EXPECT_GT(CatchUp(*standby), 0u);
  standby.reset();  // closes the copies
  a.runner.reset();
  EXPECT_EQ(Digest("b"), Digest("a"));
  // Each copy's checkpoint is its changelog's end, where the owner's is.
  for (int p = 0; p < kPartitions; ++p) {
    auto store = state::Store::Open((root_ / "b" / ("t.in-" + std::to_string(p))).string());
    ASSERT_TRUE(store.has_value());
    auto checkpoint = Task::ChangelogCheckpoint(*store.value());
    ASSERT_TRUE(checkpoint.has_value());
    EXPECT_EQ(checkpoint.value().value(), log.EndOffset(kChangelog, p));
  }
}

TEST_F(StandbyTasksTest, ATaskGivenToTheStandbyInstanceRestoresOnlyWhatTheCopyMissed) {
  testing::FakeLog log;
  Member a;
  std::unique_ptr<StandbyTasks> standby = OwnerWithCopies(log, a, 400);
  ASSERT_NE(standby, nullptr);
  CatchUp(*standby);
  // The owner goes on after the copy's last read: that much is the tail.
  const int64_t copied = ChangelogEnd(log);
  Fill(log, 400, 40);
  Drain(*a.runner);
  const int64_t tail = ChangelogEnd(log) - copied;
  ASSERT_GT(tail, 0);

  // The group moves every task to b, whose runner claims the copies.
  Member b = Join(log, "b", standby.get());
  a.source->Take(All());
  Drain(*a.runner);
  b.source->Give(All());
  const uint64_t before = Restored();
  Drain(*b.runner);
  EXPECT_EQ(static_cast<int64_t>(Restored() - before), tail)
      << "b restored more than the copies missed (of " << ChangelogEnd(log) << ")";
  EXPECT_TRUE(standby->Tasks().empty()) << "a copy stayed open beside its active task";
  SetGroup("b");
  ASSERT_TRUE(standby->Refresh().ok());
  EXPECT_TRUE(standby->Tasks().empty()) << "b keeps copies of its own tasks";

  Fill(log, 440, 60);
  Drain(*b.runner);
  test::ExpectEachOutputOnce(log, 500);

  // And back to a: b's stores, released, become copies again, continuing
  // from where the active tasks left them (nothing to read).
  b.source->Take(All());
  Drain(*b.runner);
  a.source->Give(All());
  Drain(*a.runner);
  SetGroup("a");
  ASSERT_TRUE(standby->Refresh().ok());
  EXPECT_EQ(standby->Tasks().size(), 4u);
  EXPECT_EQ(CatchUp(*standby), 0u);

  // b's stores equal those of one member that read everything alone.
  testing::FakeLog alone_log;
  Fill(alone_log, 0, 500);
  {
    Member alone = Join(alone_log, "alone");
    alone.source->Give(All());
    Drain(*alone.runner);
  }
  standby.reset();
  b.runner.reset();
  EXPECT_EQ(Digest("b"), Digest("alone"));
}

TEST_F(StandbyTasksTest, AClaimedStoreIsNotReopenedUntilReleased) {
  testing::FakeLog log;
  Member a = Join(log, "a");
  a.source->Give(All());
  Fill(log, 0, 40);
  Drain(*a.runner);
  SetGroup("a");
  std::unique_ptr<StandbyTasks> standby = OpenStandby(log, "b");
  ASSERT_NE(standby, nullptr);
  ASSERT_TRUE(standby->Refresh().ok());
  const std::string path = (root_ / "b" / "t.in-2").string();
  standby->Claim(path);
  EXPECT_EQ(standby->Tasks(), std::vector<std::string>({"t.in-0", "t.in-1", "t.in-3"}));
  {
    // Its store is free for the active task.
    auto store = state::Store::Open(path);
    EXPECT_TRUE(store.has_value()) << store.error().ToString();
    ASSERT_TRUE(standby->Refresh().ok());
    EXPECT_EQ(standby->Tasks().size(), 3u);
  }
  CatchUp(*standby);
  standby->Release(path);
  ASSERT_TRUE(standby->Refresh().ok());
  EXPECT_EQ(standby->Tasks().size(), 4u);
  CatchUp(*standby);
  standby.reset();
  a.runner.reset();
  EXPECT_EQ(Digest("b"), Digest("a"));
}

TEST_F(StandbyTasksTest, PlacementWaitsWhileTheGroupRebalances) {
  testing::FakeLog log;
  Fill(log, 0, 10);
  SetGroup("a");
  std::unique_ptr<StandbyTasks> standby = OpenStandby(log, "b");
  ASSERT_NE(standby, nullptr);
  ASSERT_TRUE(standby->Refresh().ok());
  EXPECT_EQ(standby->Tasks().size(), 4u);
  // Mid-rebalance (b about to own everything): the copies stay as they are.
  SetGroup("b", "PreparingRebalance");
  ASSERT_TRUE(standby->Refresh().ok());
  EXPECT_EQ(standby->Tasks().size(), 4u);
  SetGroup("b");
  ASSERT_TRUE(standby->Refresh().ok());
  EXPECT_TRUE(standby->Tasks().empty());
}

}  // namespace
}  // namespace chainflow::engine::runtime
