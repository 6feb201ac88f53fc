#include "ingest/common/appender.h"

#include <gtest/gtest.h>

#include "engine/log/record.h"
#include "tests/unit/ingest/fakes.h"

namespace chainflow::ingest::common {
namespace {

using testing::FakeSink;
using testing::FakeTailReader;
using testing::FindHeader;

constexpr int kPartitions = 4;

AppenderOptions Options() {
  return AppenderOptions{"mainnet", "cf.mainnet.events", kPartitions, "cf.dlq"};
}

ChainEvent Event(uint64_t block, uint32_t log, uint32_t sub, std::string key) {
  ChainEvent e;
  e.position = Position{0, block, log, sub};
  e.key = std::move(key);
  e.type = "chainflow.evm.Erc721Transfer";
  e.time_seconds = 1618602000;
  e.envelope.set_id(fmt::format("mainnet/{}/{}", block, log));
  e.envelope.mutable_erc721_transfer()->mutable_log()->set_block_number(block);
  return e;
}

// Three blocks of events with BlockEnds, the way a replay drives it.
void Drive(ChainAppender& appender) {
  for (uint64_t block = 10; block < 13; ++block) {
    for (uint32_t log = 0; log < 5; ++log) {
      std::string key = fmt::format("mainnet:0xc:{}", block * 7 + log);
      ASSERT_TRUE(appender.Append(Event(block, log, 0, key)).has_value());
    }
    ASSERT_TRUE(appender.EndBlock(BlockInfo{block, std::string(32, 'h'), 1618602000, {}})
                    .has_value());
  }
  ASSERT_TRUE(appender.Flush().ok());
}

TEST(ChainAppenderTest, SendsWithPositionAndCloudEventHeaders) {
  FakeSink sink;
  FakeTailReader tails;
  auto appender = ChainAppender::Open(Options(), sink, tails).value();
  ChainEvent e = Event(10, 3, 0, "mainnet:0xc:1");
  ASSERT_TRUE(appender->Append(e).value());
  ASSERT_EQ(sink.records.size(), 1u);
  const auto& r = sink.records[0];
  EXPECT_EQ(r.topic, "cf.mainnet.events");
  EXPECT_EQ(r.partition, engine::log::PartitionForKey("mainnet:0xc:1", kPartitions));
  EXPECT_EQ(r.key, "mainnet:0xc:1");
  EXPECT_EQ(*FindHeader(r, "cf_pos"), "10:3:0");
  EXPECT_EQ(*FindHeader(r, "ce_id"), "mainnet/10/3");
  EXPECT_EQ(*FindHeader(r, "ce_source"), "chainflow/ingest/mainnet");
  EXPECT_EQ(*FindHeader(r, "ce_type"), "chainflow.evm.Erc721Transfer");
  ASSERT_NE(FindHeader(r, "ce_time"), nullptr);
  v1::Envelope decoded;
  ASSERT_TRUE(decoded.ParseFromString(r.value));
  EXPECT_EQ(decoded.id(), "mainnet/10/3");
}

TEST(ChainAppenderTest, BlockEndReachesEveryPartition) {
  FakeSink sink;
  FakeTailReader tails;
  auto appender = ChainAppender::Open(Options(), sink, tails).value();
  BlockInfo block{10, std::string(32, 'h'), 1618602000, std::string(32, 'p')};
  ASSERT_EQ(appender->EndBlock(block).value(), kPartitions);
  ASSERT_EQ(sink.records.size(), static_cast<size_t>(kPartitions));
  for (int p = 0; p < kPartitions; ++p) {
    const auto& r = sink.records[p];
    EXPECT_EQ(r.partition.value(), p);
    EXPECT_EQ(r.key, "mainnet:block");
    EXPECT_EQ(*FindHeader(r, "cf_pos"), "10:4294967295:0");
    EXPECT_EQ(*FindHeader(r, "ce_type"), "chainflow.evm.BlockEnd");
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    EXPECT_EQ(env.block_end().number(), 10u);
    EXPECT_EQ(env.block_end().parent_hash(), std::string(32, 'p'));
  }
  EXPECT_EQ(appender->ResumeBlock(), 11u);
}

TEST(ChainAppenderTest, ReplayingTheSameInputTwiceAppendsNothingTheSecondTime) {
  FakeSink first;
  FakeTailReader empty;
  auto a1 = ChainAppender::Open(Options(), first, empty).value();
  Drive(*a1);
  EXPECT_EQ(a1->appended(), 15u);
  EXPECT_EQ(a1->markers_appended(), 3u * kPartitions);

  FakeTailReader tails(first.records);
  FakeSink second;
  auto a2 = ChainAppender::Open(Options(), second, tails).value();
  Drive(*a2);
  EXPECT_TRUE(second.records.empty());
  EXPECT_EQ(a2->appended(), 0u);
  EXPECT_EQ(a2->skipped(), 15u);
}

TEST(ChainAppenderTest, InterruptedReplayContinuesExactly) {
  FakeSink full;
  FakeTailReader empty;
  auto a = ChainAppender::Open(Options(), full, empty).value();
  Drive(*a);
  const auto& all = full.records;
  // Cut after every possible prefix: the topic then holds the prefix, and a
  // second run must append exactly the rest, in the same per-partition order.
  for (size_t n = 0; n <= all.size(); ++n) {
    std::vector<engine::log::OutRecord> prefix(all.begin(), all.begin() + n);
    FakeTailReader tails(prefix);
    FakeSink rest;
    auto resumed = ChainAppender::Open(Options(), rest, tails).value();
    Drive(*resumed);
    ASSERT_EQ(prefix.size() + rest.records.size(), all.size()) << "cut at " << n;
    std::vector<engine::log::OutRecord> joined = prefix;
    joined.insert(joined.end(), rest.records.begin(), rest.records.end());
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(*FindHeader(joined[i], "ce_id"), *FindHeader(all[i], "ce_id")) << n << " " << i;
      EXPECT_EQ(joined[i].partition, all[i].partition);
    }
  }
}

TEST(ChainAppenderTest, PerPartitionSkipWithUnevenTails) {
  // Partition tails of a crash where partitions progressed differently: the
  // resume block is the least complete partition's next block, and events
  // already in a partition are skipped individually.
  FakeSink full;
  FakeTailReader empty;
  auto a = ChainAppender::Open(Options(), full, empty).value();
  Drive(*a);
  FakeTailReader tails;
  tails.last[0] = Position::BlockEnd(0, 12);
  tails.last[1] = Position{0, 11, 2, 0};
  tails.last[2] = Position::BlockEnd(0, 10);
  tails.last[3] = Position{0, 12, 4, 0};
  FakeSink rest;
  auto resumed = ChainAppender::Open(Options(), rest, tails).value();
  EXPECT_EQ(resumed->ResumeBlock(), 11u);
  Drive(*resumed);
  for (const auto& r : rest.records) {
    Position pos = Position::Parse(*FindHeader(r, "cf_pos")).value();
    EXPECT_GT(pos, tails.last[r.partition.value()]);
  }
  size_t expected = 0;
  for (const auto& r : full.records) {
    Position pos = Position::Parse(*FindHeader(r, "cf_pos")).value();
    if (pos > tails.last[r.partition.value()]) ++expected;
  }
  EXPECT_EQ(rest.records.size(), expected);
}

TEST(ChainAppenderTest, ResumeBlockNeedsEveryPartition) {
  FakeSink sink;
  FakeTailReader tails;
  tails.last[0] = Position::BlockEnd(0, 12);
  auto a = ChainAppender::Open(Options(), sink, tails).value();
  EXPECT_EQ(a->ResumeBlock(), std::nullopt);
}

TEST(ChainAppenderTest, DeadLetterHeaders) {
  FakeSink sink;
  FakeTailReader tails;
  auto a = ChainAppender::Open(Options(), sink, tails).value();
  DeadLetterRecord dead;
  dead.reason = "log field \"data\": bad";
  dead.raw = "{not json";
  dead.source_file = "history.ndjson";
  dead.line = 7;
  ASSERT_TRUE(a->DeadLetter(dead).ok());
  ASSERT_EQ(sink.records.size(), 1u);
  const auto& r = sink.records[0];
  EXPECT_EQ(r.topic, "cf.dlq");
  EXPECT_EQ(r.partition.value(), 0);
  EXPECT_EQ(r.value, "{not json");
  EXPECT_EQ(*FindHeader(r, "cf_error"), dead.reason);
  EXPECT_EQ(*FindHeader(r, "cf_source_file"), "history.ndjson");
  EXPECT_EQ(*FindHeader(r, "cf_line"), "7");
  EXPECT_EQ(a->dead_lettered(), 1u);
}

TEST(ChainAppenderTest, FlushWaitsOutABrokerThatHasNotAcknowledgedYet) {
  FakeSink sink;
  FakeTailReader tails;
  auto appender = ChainAppender::Open(Options(), sink, tails).value();
  ASSERT_TRUE(appender->Append(Event(10, 0, 0, "mainnet:0xc:1")).value());
  // Three slices run out with the records still in flight, then they land.
  for (int i = 0; i < 3; ++i) {
    sink.flush_results.push_back(core::DeadlineExceededError("flush: 1 records still outstanding"));
  }
  EXPECT_TRUE(appender->Flush(std::chrono::minutes(1), std::chrono::milliseconds(1)).ok());
  EXPECT_EQ(sink.flushes, 4);
}

TEST(ChainAppenderTest, FlushReturnsAFailedDeliveryAndGivesUpAfterMaxWait) {
  FakeSink sink;
  FakeTailReader tails;
  auto appender = ChainAppender::Open(Options(), sink, tails).value();
  sink.flush_results.push_back(core::DeadlineExceededError("still outstanding"));
  sink.flush_results.push_back(core::UnavailableError("delivering to cf.mainnet.events/0: lost"));
  core::Status lost = appender->Flush(std::chrono::minutes(1), std::chrono::milliseconds(1));
  EXPECT_EQ(lost.code(), core::StatusCode::kUnavailable) << lost.ToString();
  EXPECT_EQ(sink.flushes, 2);
  // A broker that never answers: DeadlineExceeded once max_wait has passed.
  for (int i = 0; i < 1000; ++i) {
    sink.flush_results.push_back(core::DeadlineExceededError("still outstanding"));
  }
  core::Status late = appender->Flush(std::chrono::milliseconds(30), std::chrono::milliseconds(1));
  EXPECT_EQ(late.code(), core::StatusCode::kDeadlineExceeded) << late.ToString();
}

TEST(ChainAppenderDeathTest, OutOfOrderPositionsAreABrokenInvariant) {
  FakeSink sink;
  FakeTailReader tails;
  auto a = ChainAppender::Open(Options(), sink, tails).value();
  ASSERT_TRUE(a->Append(Event(10, 3, 0, "k")).value());
  EXPECT_DEATH((void)a->Append(Event(10, 3, 0, "k")), "chain order");
}

}  // namespace
}  // namespace chainflow::ingest::common
