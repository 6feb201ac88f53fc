#include "ingest/evm/file_replay.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "tests/unit/ingest/fakes.h"

namespace chainflow::ingest::evm {
namespace {

using testing::FakeSink;
using testing::FakeTailReader;
using testing::FindHeader;

const std::string kKongz =
    std::string(CHAINFLOW_SHARED_DIR) + "/data/evm/cyberkongz/transfers.logs.ndjson";
const std::string kTopic = "cf.mainnet.events";

core::Config TestConfig() {
  auto config = core::Config::Parse(R"(
[kafka]
topic_prefix = "cf"
partitions = 8
[[chains]]
name = "mainnet"
chain_id = 1
)", {});
  CF_CHECK(config.has_value(), "{}", config.error().ToString());
  return config.value();
}

uint64_t DistinctBlocks(const std::string& path) {
  std::ifstream in(path);
  std::set<std::string> blocks;
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find("\"blockNumber\":\"");
    blocks.insert(line.substr(at + 15, line.find('"', at + 15) - at - 15));
  }
  return blocks.size();
}

TEST(FileReplayTest, CyberKongzReplayIsIdempotent) {
  core::Config config = TestConfig();
  FakeSink first;
  FakeTailReader empty;
  std::vector<ReplayProgress> progress;
  auto s1 = ReplayFile(config, "mainnet", kKongz, first, empty,
                       [&](const ReplayProgress& p) { progress.push_back(p); });
  ASSERT_TRUE(s1.has_value()) << s1.error().ToString();
  const uint64_t blocks = DistinctBlocks(kKongz);
  EXPECT_EQ(s1.value().lines, 15188u);
  EXPECT_EQ(s1.value().events_appended, 15188u);
  EXPECT_EQ(s1.value().events_skipped, 0u);
  EXPECT_EQ(s1.value().rejected, 0u);
  EXPECT_EQ(s1.value().blocks, blocks);
  EXPECT_EQ(s1.value().markers_appended, blocks * 8);
  EXPECT_EQ(s1.value().kinds[LogKind::kErc721Transfer], 15188u);
  EXPECT_EQ(first.On(kTopic).size(), 15188u + blocks * 8);
  EXPECT_GE(first.flushes, 1);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().bytes_read, progress.back().total_bytes);
  EXPECT_EQ(progress.back().events, 15188u);
  std::printf("[replay speed] %.0f lines/s into a fake sink (%.3f s)\n",
              s1.value().lines / s1.value().seconds, s1.value().seconds);

  // Second run over a topic holding everything: a no-op.
  FakeTailReader full(first.records);
  FakeSink second;
  auto s2 = ReplayFile(config, "mainnet", kKongz, second, full);
  ASSERT_TRUE(s2.has_value());
  EXPECT_EQ(s2.value().events_appended, 0u);
  EXPECT_EQ(s2.value().events_skipped, 15188u);
  EXPECT_EQ(s2.value().markers_appended, 0u);
  EXPECT_TRUE(second.records.empty());

  // Interrupted after N records: the resumed run appends exactly the rest.
  const auto all = first.On(kTopic);
  for (size_t n : {size_t{1}, size_t{5000}, all.size() - 3}) {
    std::vector<engine::log::OutRecord> prefix(all.begin(), all.begin() + n);
    FakeTailReader tails(prefix);
    FakeSink rest;
    auto s3 = ReplayFile(config, "mainnet", kKongz, rest, tails);
    ASSERT_TRUE(s3.has_value());
    ASSERT_EQ(rest.records.size(), all.size() - n) << n;
    for (size_t i = 0; i < rest.records.size(); ++i) {
      ASSERT_EQ(*FindHeader(rest.records[i], "cf_pos"), *FindHeader(all[n + i], "cf_pos"));
      ASSERT_EQ(rest.records[i].partition, all[n + i].partition);
    }
  }
}

std::string Line(uint64_t block, uint32_t log, uint64_t token) {
  return fmt::format(
      R"({{"address":"0x57a204aa1042f6e66dd7730813f4024114d74f37","topics":["{}",)"
      R"("0x0000000000000000000000000000000000000000000000000000000000000000",)"
      R"("0x000000000000000000000000000000048797808be86aa9786c1f402671192d6b",)"
      R"("0x{:064x}"],"data":"0x","blockNumber":"0x{:x}","blockHash":null,)"
      R"("blockTimestamp":"0x6079ec0b","transactionHash":)"
      R"("0x9608d1cda7c95a77b1c56b1912334876097872c2b52fc0d8c6af469ff063bd79",)"
      R"("transactionIndex":null,"logIndex":"0x{:x}","removed":false}})",
      kTransferTopic, token, block, log);
}

TEST(FileReplayTest, BadLinesAreDeadLetteredOnce) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("bad." + std::to_string(::getpid()) + ".ndjson")).string();
  {
    std::ofstream out(path);
    out << Line(100, 0, 1) << "\n"
        << "{not json\n"                       // line 2: bad JSON
        << Line(101, 0, 2) << "\n"
        << Line(100, 5, 3) << "\n"             // line 4: block goes backwards
        << Line(101, 0, 4) << "\n"             // line 5: duplicate position
        << Line(102, 1, 5) << "\n"
        << "\n"                                // empty: ignored
        << Line(103, 0, 6).substr(0, 120);     // line 8: truncated, no newline
  }
  core::Config config = TestConfig();
  FakeSink first;
  FakeTailReader empty;
  auto s1 = ReplayFile(config, "mainnet", path, first, empty);
  ASSERT_TRUE(s1.has_value()) << s1.error().ToString();
  EXPECT_EQ(s1.value().lines, 8u);
  EXPECT_EQ(s1.value().events_appended, 3u);
  EXPECT_EQ(s1.value().rejected, 4u);
  EXPECT_EQ(s1.value().dead_lettered, 4u);
  EXPECT_EQ(s1.value().blocks, 3u);
  auto dlq = first.On("cf.dlq");
  ASSERT_EQ(dlq.size(), 4u);
  EXPECT_EQ(*FindHeader(dlq[0], "cf_line"), "2");
  EXPECT_EQ(dlq[0].value, "{not json");
  EXPECT_NE(FindHeader(dlq[0], "cf_error")->find("JSON"), std::string::npos);
  EXPECT_EQ(*FindHeader(dlq[0], "cf_source_file"), path);
  EXPECT_EQ(*FindHeader(dlq[1], "cf_line"), "4");
  EXPECT_NE(FindHeader(dlq[1], "cf_error")->find("out of chain order"), std::string::npos);
  EXPECT_EQ(*FindHeader(dlq[2], "cf_line"), "5");
  EXPECT_EQ(*FindHeader(dlq[3], "cf_line"), "8");

  // Re-running: nothing new is appended and nothing is dead-lettered again.
  FakeTailReader tails(first.On(kTopic));
  FakeSink second;
  auto s2 = ReplayFile(config, "mainnet", path, second, tails);
  ASSERT_TRUE(s2.has_value());
  EXPECT_EQ(s2.value().rejected, 4u);
  EXPECT_EQ(s2.value().dead_lettered, 0u);
  EXPECT_TRUE(second.records.empty());

  // Interrupted after block 100's BlockEnd: line 2 was dead-lettered before
  // that marker was sent, so only lines 4, 5 and 8 are dead-lettered now.
  auto all = first.On(kTopic);
  std::vector<engine::log::OutRecord> prefix;
  for (const auto& r : all) {
    if (FindHeader(r, "cf_pos")->starts_with("100:")) prefix.push_back(r);
  }
  FakeTailReader partial(prefix);
  FakeSink third;
  auto s3 = ReplayFile(config, "mainnet", path, third, partial);
  ASSERT_TRUE(s3.has_value());
  EXPECT_EQ(s3.value().dead_lettered, 3u);
  EXPECT_EQ(s3.value().events_appended, 2u);

  // Interrupted before block 100's BlockEnd: line 2 is dead-lettered too.
  std::vector<engine::log::OutRecord> events_only;
  for (const auto& r : prefix) {
    if (*FindHeader(r, "ce_type") != "chainflow.evm.BlockEnd") events_only.push_back(r);
  }
  FakeTailReader before_marker(events_only);
  FakeSink fourth;
  auto s4 = ReplayFile(config, "mainnet", path, fourth, before_marker);
  ASSERT_TRUE(s4.has_value());
  EXPECT_EQ(s4.value().dead_lettered, 4u);
  std::filesystem::remove(path);
}

TEST(FileReplayTest, UnknownChainAndMissingFile) {
  core::Config config = TestConfig();
  FakeSink sink;
  FakeTailReader tails;
  EXPECT_EQ(ReplayFile(config, "nope", kKongz, sink, tails).error().code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(ReplayFile(config, "mainnet", "/nonexistent", sink, tails).error().code(),
            core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace chainflow::ingest::evm
