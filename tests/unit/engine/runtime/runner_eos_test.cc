// The exactly-once runner (ProcessorRunner::OpenTransactional) against a fake
// transactional log: outputs, changelogs and offsets commit together, a
// store that fell behind its changelog (a crash between the transaction's
// commit and the local one) is caught up by a restore, and a commit whose
// answer was lost is neither repeated nor lost.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/runtime/runner.h"
#include "engine/runtime/state_digest.h"
#include "tests/support/fake_log.h"
#include "tests/unit/engine/runtime/runner_test_util.h"

namespace chainflow::engine::runtime {
namespace {

using core::PartitionId;

using test::kDlq;
using test::kIn;
using test::kOut;
using test::Drain;
using test::ExpectEachOutputOnce;
using test::Transfer;
using test::kChangelog;
using test::kGroup;

using test::CountingProcessor;

class RunnerEosTest : public test::ScratchDirTest {
 protected:
  static void Fill(testing::FakeLog& log, int n, int partitions) {
    for (int i = 0; i < n; ++i) {
      int token = i % 17;
      log.Append(kIn, token % partitions, std::to_string(token), Transfer(token));
    }
  }

  std::unique_ptr<ProcessorRunner> Open(
      testing::FakeLog& log, log::TransactionalSink& sink, const std::string& dir, int partitions,
      size_t batch,
      std::function<core::Result<std::unique_ptr<log::TransactionalSink>>()> reopen = {}) {
    ProcessorSpec spec{"counting", {kIn}, {kOut},
                       [] { return std::make_unique<CountingProcessor>(); }};
    RunnerOptions options = test::EosOptions(log, root_ / dir, batch);
    options.reopen_sink = std::move(reopen);
    std::vector<log::TopicPartition> inputs;
    for (int p = 0; p < partitions; ++p) inputs.push_back({kIn, PartitionId(p)});
    auto r = ProcessorRunner::OpenTransactional(spec, options, inputs, log.NewSource(), sink);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.has_value() ? std::move(r).value() : nullptr;
  }

  std::string Digest(const std::string& dir) {
    auto d = StateDigest((root_ / dir).string());
    EXPECT_TRUE(d.has_value()) << d.error().ToString();
    return d.has_value() ? d.value() : "";
  }

  // The digest of an uninterrupted run over `n` records (in a log of its own).
  std::string CleanDigest(int n, int partitions, size_t batch) {
    testing::FakeLog log;
    Fill(log, n, partitions);
    auto sink = log.NewTransactionalSink();
    {
      auto runner = Open(log, *sink, "clean", partitions, batch);
      Drain(*runner);
    }
    return Digest("clean");
  }

};

TEST_F(RunnerEosTest, OutputsChangelogAndOffsetsCommitTogether) {
  testing::FakeLog log;
  Fill(log, 120, 2);
  auto sink = log.NewTransactionalSink();
  auto runner = Open(log, *sink, "a", 2, 25);
  Drain(*runner);
  ExpectEachOutputOnce(log, 120);
  EXPECT_GT(sink->commits(), 1);
  // The group holds the same positions as the state.
  auto group = log.GroupOffsets(kGroup);
  for (const auto& [tp, next] : runner->GetPositions()) {
    EXPECT_EQ(group[tp], next) << tp.topic << "/" << tp.partition.value();
  }
  // Deletions are logged as tombstones.
  bool tombstone = false;
  for (const auto& r : log.ReadAll(kChangelog)) tombstone = tombstone || r.tombstone;
  EXPECT_TRUE(tombstone);
}

// A source returning at most `cap` records a poll (a reader that received
// what it is given in pieces: a block appended partition by partition), and
// counting its polls.
class CappedSource : public log::RecordSource {
 public:
  CappedSource(std::unique_ptr<log::RecordSource> inner, size_t cap, int* polls)
      : inner_(std::move(inner)), cap_(cap), polls_(polls) {}
  core::Status Assign(const std::vector<log::TopicPartitionOffset>& assignment) override {
    return inner_->Assign(assignment);
  }
  core::Result<std::vector<log::Record>> Poll(size_t max_records,
                                              std::chrono::milliseconds timeout) override {
    ++*polls_;
    return inner_->Poll(std::min(max_records, cap_), timeout);
  }
  core::Result<std::vector<log::TopicPartitionOffset>> ReadPositions() override {
    return inner_->ReadPositions();
  }

 private:
  std::unique_ptr<log::RecordSource> inner_;
  size_t cap_;
  int* polls_;
};

class RunnerLingerTest : public RunnerEosTest {
 protected:
  static void AppendBlockEnd(testing::FakeLog& log, int partition, uint64_t block) {
    v1::Envelope end;
    end.set_id(fmt::format("c/{}/end/{}", block, partition));
    end.mutable_block_end()->set_chain("c");
    end.mutable_block_end()->set_number(block);
    log.Append(kIn, partition, "", end.SerializeAsString());
  }

  // Opens a runner over `partitions` partitions of kIn reading through a
  // CappedSource; `linger` as batch_linger.
  std::unique_ptr<ProcessorRunner> OpenCapped(testing::FakeLog& log, log::TransactionalSink& sink,
                                              const std::string& dir, size_t cap,
                                              std::chrono::milliseconds linger,
                                              int partitions = 2) {
    ProcessorSpec spec{"counting", {kIn}, {kOut},
                       [] { return std::make_unique<CountingProcessor>(); }};
    RunnerOptions options = test::EosOptions(log, root_ / dir, 100);
    options.batch_linger = linger;
    std::vector<log::TopicPartition> inputs;
    for (int p = 0; p < partitions; ++p) inputs.push_back({kIn, PartitionId(p)});
    auto opened = ProcessorRunner::OpenTransactional(
        spec, options, inputs, std::make_unique<CappedSource>(log.NewSource(), cap, &polls_),
        sink);
    EXPECT_TRUE(opened.has_value()) << opened.error().ToString();
    return opened.has_value() ? std::move(opened).value() : nullptr;
  }

  int polls_ = 0;
};

// After a first block (from which the runner learns that its input carries
// BlockEnds), the next block's ten transfers over two partitions and each
// partition's BlockEnd reach the runner four records a poll. With
// batch_linger (the default) the runner polls on to both block ends and
// commits the block in one transaction; with none, it commits the first
// four alone. Either way every output is there once.
TEST_F(RunnerLingerTest, ABlockArrivingInPiecesCommitsInOneTransaction) {
  for (const bool linger : {true, false}) {
    SCOPED_TRACE(linger ? "batch_linger 10 ms" : "batch_linger 0");
    testing::FakeLog log;
    log.Append(kIn, 0, "100", Transfer(100));
    AppendBlockEnd(log, 0, 1);
    log.Append(kIn, 1, "101", Transfer(101));
    AppendBlockEnd(log, 1, 1);
    auto sink = log.NewTransactionalSink();
    auto runner = OpenCapped(log, *sink, linger ? "linger" : "pieces", 4,
                             std::chrono::milliseconds(linger ? 10 : 0));
    ASSERT_NE(runner, nullptr);
    Drain(*runner);
    const int commits = sink->commits();
    Fill(log, 10, 2);
    AppendBlockEnd(log, 0, 2);
    AppendBlockEnd(log, 1, 2);
    auto second = runner->RunOnce();
    ASSERT_TRUE(second.has_value()) << second.error().ToString();
    EXPECT_EQ(second.value(), linger ? 12u : 4u);
    EXPECT_EQ(sink->commits(), commits + 1);
    Drain(*runner);
    ExpectEachOutputOnce(log, 12);
  }
}

// What needs no waiting is committed at once: a block that arrived whole
// (every partition at its BlockEnd) and records of a topic without blocks
// (user events). A block that ended on some partitions is waited for on the
// others (one more poll, up to batch_linger), whether their records or only
// their BlockEnds are missing.
TEST_F(RunnerLingerTest, OnlyAPartialBlockIsWaitedFor) {
  struct Case {
    const char* name;
    std::vector<int> with_data;  // partitions with a transfer and the block's end
    size_t records;
    int polls;
  };
  for (const Case& c : std::vector<Case>{{"whole block", {0, 1, 2}, 6, 1},
                                         {"no blocks", {}, 3, 1},
                                         {"partitions 1 and 2 behind", {0}, 2, 2},
                                         {"partition 2 behind", {0, 1}, 4, 2}}) {
    SCOPED_TRACE(c.name);
    testing::FakeLog log;
    if (c.with_data.empty()) {
      for (int p = 0; p < 3; ++p) log.Append(kIn, p, std::to_string(p), Transfer(p));
    }
    for (int p : c.with_data) {
      log.Append(kIn, p, std::to_string(p), Transfer(p));
      AppendBlockEnd(log, p, 1);
    }
    auto sink = log.NewTransactionalSink();
    auto runner = OpenCapped(log, *sink, c.name, 100, std::chrono::milliseconds(20), 3);
    ASSERT_NE(runner, nullptr);
    polls_ = 0;
    auto first = runner->RunOnce();
    ASSERT_TRUE(first.has_value()) << first.error().ToString();
    EXPECT_EQ(first.value(), c.records);
    EXPECT_EQ(polls_, c.polls);
  }
}

TEST_F(RunnerEosTest, AStoreRebuiltFromItsChangelogEqualsTheOriginal) {
  testing::FakeLog log;
  Fill(log, 300, 2);
  auto sink = log.NewTransactionalSink();
  Positions positions;
  {
    auto runner = Open(log, *sink, "a", 2, 40);
    Drain(*runner);
    positions = runner->GetPositions();
  }
  const std::string digest = Digest("a");
  // A new instance with no local state (a lost disk, a task moved here).
  std::filesystem::rename(root_ / "a", root_ / "a.lost");
  auto runner = Open(log, *sink, "a", 2, 40);
  EXPECT_EQ(runner->GetPositions(), positions)
      << "positions must come back from the changelog too";
  runner.reset();
  EXPECT_EQ(Digest("a"), digest);
}

TEST_F(RunnerEosTest, AStoreBehindItsChangelogIsCaughtUpAtOpen) {
  // A crash after a transaction committed but before the local commit leaves
  // the store behind: here, a copy of the store taken earlier.
  testing::FakeLog log;
  Fill(log, 200, 1);
  const std::string clean = CleanDigest(200, 1, 30);
  auto sink = log.NewTransactionalSink();
  {
    auto runner = Open(log, *sink, "a", 1, 30);
    ASSERT_TRUE(runner->RunOnce().has_value());
    ASSERT_TRUE(runner->RunOnce().has_value());
    runner.reset();
    std::filesystem::copy(root_ / "a", root_ / "stale", std::filesystem::copy_options::recursive);
    runner = Open(log, *sink, "a", 1, 30);
    ASSERT_TRUE(runner->RunOnce().has_value());
    ASSERT_TRUE(runner->RunOnce().has_value());
  }
  std::filesystem::remove_all(root_ / "a");
  std::filesystem::rename(root_ / "stale", root_ / "a");
  {
    auto runner = Open(log, *sink, "a", 1, 30);
    EXPECT_EQ(runner->GetPositions().at({kIn, PartitionId(0)}), core::Offset(120))
        << "the restore must bring the position to the last committed transaction";
    Drain(*runner);
  }
  ExpectEachOutputOnce(log, 200);
  EXPECT_EQ(Digest("a"), clean);
}

TEST_F(RunnerEosTest, ACommitWhoseAnswerWasLostIsNotRedone) {
  testing::FakeLog log;
  Fill(log, 100, 2);
  auto sink = log.NewTransactionalSink();
  auto runner = Open(log, *sink, "a", 2, 30);
  ASSERT_TRUE(runner->RunOnce().has_value());
  sink->FailNextCommit(core::DeadlineExceededError("commit timed out"), /*lands=*/true);
  ASSERT_FALSE(runner->RunOnce().has_value());
  ASSERT_TRUE(runner->Recover().ok());
  Drain(*runner);
  ExpectEachOutputOnce(log, 100);
}

TEST_F(RunnerEosTest, AFailedCommitIsAbortedAndRedoneOnce) {
  testing::FakeLog log;
  Fill(log, 100, 2);
  const std::string clean = CleanDigest(100, 2, 30);
  auto sink = log.NewTransactionalSink();
  {
    auto runner = Open(log, *sink, "a", 2, 30);
    ASSERT_TRUE(runner->RunOnce().has_value());
    const Positions before = runner->GetPositions();
    sink->FailNextCommit(core::AbortedError("transaction aborted by the coordinator"),
                         /*lands=*/false);
    ASSERT_FALSE(runner->RunOnce().has_value());
    ASSERT_TRUE(runner->Recover().ok());
    EXPECT_EQ(sink->aborts(), 1);
    EXPECT_EQ(runner->GetPositions(), before);
    Drain(*runner);
  }
  ExpectEachOutputOnce(log, 100);
  EXPECT_EQ(Digest("a"), clean);
}

TEST_F(RunnerEosTest, AFencedProducerIsReplacedAndTheBatchRedoneOnce) {
  // A broker that restarts with a transaction open times it out and bumps
  // the producer's epoch: the producer's next commit reports it fenced.
  testing::FakeLog log;
  Fill(log, 100, 2);
  const std::string clean = CleanDigest(100, 2, 30);
  auto sink = log.NewTransactionalSink();
  std::vector<testing::FakeTransactionalSink*> opened;
  {
    auto runner = Open(log, *sink, "a", 2, 30, [&]() {
      auto fresh = log.NewTransactionalSink();
      opened.push_back(fresh.get());
      return core::Result<std::unique_ptr<log::TransactionalSink>>(std::move(fresh));
    });
    ASSERT_TRUE(runner->RunOnce().has_value());
    const core::Status fenced = core::FailedPreconditionError("fatal: _FENCED");
    sink->FailNextCommit(fenced, /*lands=*/false);
    auto failed = runner->RunOnce();
    ASSERT_FALSE(failed.has_value());
    ASSERT_TRUE(runner->Recoverable(failed.error()));
    ASSERT_TRUE(runner->Recover(failed.error()).ok());
    ASSERT_EQ(opened.size(), 1u);
    Drain(*runner);
    EXPECT_GT(opened.front()->commits(), 0) << "the new producer carries on";
  }
  ExpectEachOutputOnce(log, 100);
  EXPECT_EQ(Digest("a"), clean);
}

TEST_F(RunnerEosTest, WithoutAReopenAFencedProducerStopsTheRunner) {
  testing::FakeLog log;
  Fill(log, 10, 1);
  auto sink = log.NewTransactionalSink();
  auto runner = Open(log, *sink, "a", 1, 30);
  EXPECT_FALSE(runner->Recoverable(core::FailedPreconditionError("fatal: _FENCED")));
  EXPECT_TRUE(runner->Recoverable(core::UnavailableError("broker down")));
}

// A processor that ignores every transfer: its batches only move positions.
class IgnoringProcessor : public CountingProcessor {
 public:
  bool Ignores(v1::Envelope::PayloadCase payload) const override {
    return payload == v1::Envelope::kErc721Transfer;
  }
};

TEST_F(RunnerEosTest, BatchesThatOnlyMovePositionsLogNothing) {
  testing::FakeLog log;
  Fill(log, 90, 1);
  auto sink = log.NewTransactionalSink();
  ProcessorSpec spec{"counting", {kIn}, {kOut},
                     [] { return std::make_unique<IgnoringProcessor>(); }};
  RunnerOptions options = test::EosOptions(log, root_ / "i", 20);
  auto r = ProcessorRunner::OpenTransactional(spec, options, {{kIn, PartitionId(0)}},
                                              log.NewSource(), *sink);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto runner = std::move(r).value();
  Drain(*runner);
  EXPECT_TRUE(log.ReadAll(kChangelog).empty());
  EXPECT_TRUE(log.ReadAll(kOut).empty());
  EXPECT_EQ(runner->GetPositions().at({kIn, PartitionId(0)}), core::Offset(90));
  // The group still learns the position (once the input is quiet).
  const log::TopicPartition in0{kIn, PartitionId(0)};
  EXPECT_EQ(log.GroupOffsets(kGroup)[in0], core::Offset(90));
}

TEST_F(RunnerEosTest, AMissingChangelogTopicIsRefusedNamingTheInput) {
  testing::FakeLog log;
  auto sink = log.NewTransactionalSink();
  ProcessorSpec spec{"counting", {kIn}, {kOut},
                     [] { return std::make_unique<CountingProcessor>(); }};
  RunnerOptions options;
  options.state_dir = (root_ / "m").string();
  options.routing.partitions = {{kOut, 4}, {kDlq, 1}};
  options.routing.dlq_topic = kDlq;
  options.read_changelog = [&log](const auto& from, const auto& fn, std::stop_token) {
    return log.ReadToEnd(from, fn);
  };
  auto r = ProcessorRunner::OpenTransactional(spec, options, {{kIn, PartitionId(0)}},
                                              log.NewSource(), *sink);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find(kIn), std::string::npos) << r.error().ToString();
}

}  // namespace
}  // namespace chainflow::engine::runtime
