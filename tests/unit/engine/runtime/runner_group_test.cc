// The exactly-once runner as a consumer-group member
// (ProcessorRunner::OpenInGroup) against a fake log whose group the test
// drives: tasks open when the group gives their partitions and close when it
// takes them, a task moved to another member continues from the state its
// changelog holds, a member the group has dropped cannot commit, and one it
// fenced for good rejoins with a new source.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "engine/runtime/runner.h"
#include "engine/runtime/state_digest.h"
#include "tests/support/fake_log.h"
#include "tests/unit/engine/runtime/runner_test_util.h"

namespace chainflow::engine::runtime {
namespace {

using core::PartitionId;

using test::CountingProcessor;
using test::kDlq;
using test::kIn;
using test::kOut;
using test::Drain;
using test::ExpectEachOutputOnce;
using test::Transfer;
using test::kChangelog;
using test::kGroup;
constexpr int kPartitions = 4;

class RunnerGroupTest : public test::ScratchDirTest {
 protected:
  // A member has a state dir of its own.
  using Member = test::GroupMember;

  static void Fill(testing::FakeLog& log, int from, int n) {
    test::FillTransfers(log, from, n, kPartitions);
  }

  RunnerOptions Options(testing::FakeLog& log, const std::string& dir, size_t batch) {
    return test::EosOptions(log, root_ / dir, batch);
  }

  static ProcessorSpec Spec() {
    return {"counting", {kIn}, {kOut}, [] { return std::make_unique<CountingProcessor>(); }};
  }

  Member Join(testing::FakeLog& log, const std::string& dir, size_t batch = 7) {
    Member m;
    auto source = log.NewGroupSource(kGroup);
    m.source = source.get();
    m.sink = log.NewTransactionalSink();
    auto r = ProcessorRunner::OpenInGroup(Spec(), Options(log, dir, batch), std::move(source),
                                          *m.sink);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (r.has_value()) m.runner = std::move(r).value();
    return m;
  }

  static std::vector<log::TopicPartition> Parts(std::initializer_list<int> ps) {
    std::vector<log::TopicPartition> out;
    for (int p : ps) out.push_back({kIn, PartitionId(p)});
    return out;
  }

  std::string Digest(const std::string& dir) {
    auto d = StateDigest((root_ / dir).string());
    EXPECT_TRUE(d.has_value()) << d.error().ToString();
    return d.has_value() ? d.value() : "";
  }
};

TEST_F(RunnerGroupTest, NoTaskUntilTheGroupGivesPartitions) {
  testing::FakeLog log;
  Fill(log, 0, 40);
  Member a = Join(log, "a");
  ASSERT_NE(a.runner, nullptr);
  auto n = a.runner->RunOnce();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(n.value(), 0u);
  EXPECT_TRUE(a.runner->GetPositions().empty());
  a.source->Give(Parts({0, 1}));
  Drain(*a.runner);
  const Positions positions = a.runner->GetPositions();
  ASSERT_EQ(positions.size(), 2u);
  for (const auto& [tp, next] : positions) {
    EXPECT_EQ(next.value(), log.EndOffset(kIn, tp.partition.value()));
  }
  // Partitions 2 and 3 were never given: nothing of theirs was read.
  EXPECT_EQ(log.ReadAll(kOut).size(),
            static_cast<size_t>(log.EndOffset(kIn, 0) + log.EndOffset(kIn, 1)));
}

TEST_F(RunnerGroupTest, TasksMovingBetweenMembersContinueFromTheirChangelog) {
  testing::FakeLog log;
  Member a = Join(log, "a");
  Member b = Join(log, "b");
  a.source->Give(Parts({0, 1, 2, 3}));
  Fill(log, 0, 200);
  Drain(*a.runner);
  // B joins: half of A's tasks move to it.
  a.source->Take(Parts({2, 3}));
  b.source->Give(Parts({2, 3}));
  Fill(log, 200, 200);
  Drain(*a.runner);
  Drain(*b.runner);
  EXPECT_EQ(a.source->Owned().size(), 2u);
  EXPECT_EQ(b.source->Owned().size(), 2u);
  // A leaves: all of them go to B, which restores 0 and 1 from A's writes.
  a.source->Take(Parts({0, 1}));
  b.source->Give(Parts({0, 1}));
  Fill(log, 400, 200);
  Drain(*a.runner);
  Drain(*b.runner);
  // And back to A, whose stores of 2 and 3 are behind what B wrote there.
  b.source->Take(Parts({0, 1, 2, 3}));
  a.source->Give(Parts({0, 1, 2, 3}));
  Fill(log, 600, 100);
  Drain(*b.runner);
  Drain(*a.runner);
  ExpectEachOutputOnce(log, 700);

  // A's stores now equal those of one member that read everything alone.
  testing::FakeLog alone_log;
  Fill(alone_log, 0, 700);
  {
    Member alone = Join(alone_log, "alone", 50);
    alone.source->Give(Parts({0, 1, 2, 3}));
    Drain(*alone.runner);
  }
  a.runner.reset();
  b.runner.reset();
  EXPECT_EQ(Digest("a"), Digest("alone"));
}

TEST_F(RunnerGroupTest, AMemberTheGroupDroppedCannotCommit) {
  testing::FakeLog log;
  Member a = Join(log, "a");
  Member b = Join(log, "b");
  a.source->Give(Parts({0, 1, 2, 3}));
  Fill(log, 0, 100);
  Drain(*a.runner);
  const size_t before = log.ReadAll(kOut).size();
  // A stalls (a long pause): its session expires and the group gives
  // everything to B, which goes on; A has not heard of it.
  a.source->Freeze(true);
  b.source->Give(Parts({0, 1, 2, 3}));
  Fill(log, 100, 100);
  Drain(*b.runner);
  // A wakes up, still reading its old partitions: its transaction carries
  // an old generation and is refused, so none of its outputs land.
  auto zombie = a.runner->RunOnce();
  ASSERT_FALSE(zombie.has_value());
  EXPECT_EQ(zombie.error().code(), core::StatusCode::kAborted) << zombie.error().ToString();
  EXPECT_TRUE(a.runner->Recoverable(zombie.error()));
  ASSERT_TRUE(a.runner->Recover(zombie.error()).ok());
  EXPECT_EQ(log.ReadAll(kOut).size(), before + 100);
  // It then learns it was dropped and closes its tasks.
  a.source->Freeze(false);
  a.source->Take(Parts({0, 1, 2, 3}), /*lost=*/true);
  auto n = a.runner->RunOnce();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(n.value(), 0u);
  EXPECT_TRUE(a.runner->GetPositions().empty());
  ExpectEachOutputOnce(log, 200);
}

TEST_F(RunnerGroupTest, AFencedMemberRejoinsWithANewSourceAndLosesAndDuplicatesNothing) {
  testing::FakeLog log;
  auto first = log.NewGroupSource(kGroup);
  testing::FakeGroupSource* fenced = first.get();
  testing::FakeGroupSource* current = fenced;
  int sink_reopens = 0;
  RunnerOptions options = Options(log, "a", 7);
  // The group gives the new member everything as soon as it joins.
  options.reopen_source = [&]() -> core::Result<std::unique_ptr<log::RecordSource>> {
    auto fresh = log.NewGroupSource(kGroup);
    fresh->Give(Parts({0, 1, 2, 3}));
    current = fresh.get();
    return std::unique_ptr<log::RecordSource>(std::move(fresh));
  };
  options.reopen_sink = [&]() -> core::Result<std::unique_ptr<log::TransactionalSink>> {
    ++sink_reopens;
    return std::unique_ptr<log::TransactionalSink>(log.NewTransactionalSink());
  };
  auto sink = log.NewTransactionalSink();
  auto opened = ProcessorRunner::OpenInGroup(Spec(), std::move(options), std::move(first), *sink);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  ProcessorRunner& runner = *opened.value();
  fenced->Give(Parts({0, 1, 2, 3}));
  Fill(log, 0, 100);
  Drain(runner);

  // The coordinator fences the member mid-stream: its polls fail for good.
  fenced->Fence();
  Fill(log, 100, 100);
  auto failed = runner.RunOnce();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), core::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(runner.Recoverable(failed.error()));
  ASSERT_TRUE(runner.Recover(failed.error()).ok());
  // Its tasks closed with the old member; the new one gets them back from
  // the group and goes on from their changelogs.
  EXPECT_TRUE(runner.GetPositions().empty());
  EXPECT_NE(current, fenced);
  Drain(runner);
  EXPECT_EQ(current->Owned().size(), 4u);
  ExpectEachOutputOnce(log, 200);
  EXPECT_EQ(sink_reopens, 0) << "a failed source is no reason to replace the producer";

  // A source that fails again at once, every time (another live instance
  // with the same id): the runner gives up after max_client_reopens.
  int reopens = 0;
  for (;;) {
    current->Fence();
    auto again = runner.RunOnce();
    ASSERT_FALSE(again.has_value());
    if (!runner.Recoverable(again.error())) break;
    ASSERT_TRUE(runner.Recover(again.error()).ok());
    ASSERT_LE(++reopens, 10) << "reopens without bound";
  }
  EXPECT_EQ(reopens, RunnerOptions{}.max_client_reopens);
  ExpectEachOutputOnce(log, 200);
}

TEST_F(RunnerGroupTest, AFencedMemberWithoutReopenSourceStops) {
  testing::FakeLog log;
  Member a = Join(log, "a");
  a.source->Give(Parts({0, 1}));
  Fill(log, 0, 20);
  Drain(*a.runner);
  a.source->Fence();
  auto failed = a.runner->RunOnce();
  ASSERT_FALSE(failed.has_value());
  EXPECT_FALSE(a.runner->Recoverable(failed.error())) << failed.error().ToString();
}

TEST_F(RunnerGroupTest, ACoPartitionedTaskOpensWithEveryInputOfItsPartition) {
  constexpr char kOther[] = "t.other";
  testing::FakeLog log;
  ProcessorSpec spec{"counting", {kIn, kOther}, {kOut},
                     [] { return std::make_unique<CountingProcessor>(); }, /*co_partitioned=*/true};
  RunnerOptions options = Options(log, "co", 10);
  options.changelog_topics = {{kIn, kChangelog}, {kOther, kChangelog}};
  auto source = log.NewGroupSource(kGroup);
  testing::FakeGroupSource* group = source.get();
  auto sink = log.NewTransactionalSink();
  auto r = ProcessorRunner::OpenInGroup(spec, options, std::move(source), *sink);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto runner = std::move(r).value();
  log.Append(kIn, 1, "1", Transfer(1));
  log.Append(kOther, 1, "1", Transfer(1));
  group->Give({{kIn, PartitionId(1)}, {kOther, PartitionId(1)}});
  Drain(*runner);
  const Positions positions = runner->GetPositions();
  ASSERT_EQ(positions.size(), 2u);
  EXPECT_EQ(positions.at({kIn, PartitionId(1)}).value(), 1);
  EXPECT_EQ(positions.at({kOther, PartitionId(1)}).value(), 1);
  // One task, one store: partition 1 of both inputs.
  EXPECT_TRUE(std::filesystem::exists(root_ / "co" / "p-1"));
}

}  // namespace
}  // namespace chainflow::engine::runtime
