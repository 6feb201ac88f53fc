#include "ingest/evm/live_follower.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "engine/core/hex.h"
#include "tests/unit/ingest/fakes.h"

namespace chainflow::ingest::evm {
namespace {

using testing::FakeSink;
using testing::FakeTailReader;
using testing::FindHeader;

std::string Hash(uint64_t n) { return std::string(31, '\0') + static_cast<char>(n); }

// A chain whose block n has `n % 3` ERC-721 transfers (blocks 0, 3, 6... none).
class FakeRpc : public EvmRpc {
 public:
  core::Result<uint64_t> BlockNumber() override { return head; }
  core::Result<LogBatch> GetLogs(uint64_t from, uint64_t to,
                                 const std::vector<core::Address>&) override {
    ranges.emplace_back(from, to);
    if (to - from + 1 > max_range) return core::ResourceExhaustedError("too many logs");
    std::vector<std::string> out;
    for (uint64_t b = from; b <= to; ++b) {
      for (uint64_t i = 0; i < b % 3; ++i) {
        out.push_back(fmt::format(
            R"({{"address":"0x57a204aa1042f6e66dd7730813f4024114d74f37","topics":["{}",)"
            R"("0x{:064x}","0x{:064x}","0x{:064x}"],"data":"0x","blockNumber":"0x{:x}",)"
            R"("blockHash":null,"transactionHash":"0x{:064x}","transactionIndex":"0x0",)"
            R"("logIndex":"0x{:x}","removed":false}})",
            kTransferTopic, 1, 2, b * 10 + i, b, b, i));
      }
    }
    return LogBatch::FromTexts(out);
  }
  core::Result<BlockHeader> GetBlockHeader(uint64_t number) override {
    headers.push_back(number);
    return BlockHeader{number, Hash(number), Hash(number - 1), 1'600'000'000 + int64_t(number)};
  }
  core::Result<std::vector<BlockHeader>> GetBlockHeadersOf(
      const std::vector<uint64_t>& numbers) override {
    header_batches.push_back(numbers);
    return EvmRpc::GetBlockHeadersOf(numbers);
  }
  core::Result<BlockHeader> GetFinalizedHeader() override {
    return core::UnavailableError("the fake chain has no finalized block");
  }

  uint64_t head = 0;
  uint64_t max_range = 1000;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::vector<uint64_t> headers;  // every header asked for, batched or not
  std::vector<std::vector<uint64_t>> header_batches;
};

// Backfill: everything the follower reads is final (finality_depth 1), so
// it fetches headers only for blocks with events.
core::ChainConfig Chain() {
  core::ChainConfig chain;
  chain.name = "anvil";
  chain.confirmations = 2;
  chain.start_block = 1;
  chain.max_block_range = 4;
  chain.finality_depth = 1;
  return chain;
}

// A fresh HeaderStore in its own temporary directory.
class TempHeaders {
 public:
  TempHeaders() {
    static int n = 0;
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("cf_headers_{}_{}", ::getpid(), n++);
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  ~TempHeaders() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    store_ = HeaderStore::Open(dir_.string()).value();
  }
  HeaderStore& operator*() { return *store_; }
  HeaderStore* operator->() { return store_.get(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<HeaderStore> store_;
};

AppenderFactory Factory(FakeSink& sink, FakeTailReader& tails) {
  return [&sink, &tails]() {
    return common::ChainAppender::Open({"anvil", "cf.anvil.events", 3, "cf.dlq"}, sink, tails);
  };
}

TEST(LiveFollowerTest, FollowsTheHeadMinusConfirmations) {
  FakeRpc rpc;
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  LiveFollower follower(Chain(), LogDecoder("anvil", {}), rpc, Factory(sink, tails), *headers);
  rpc.head = 1;  // below confirmations
  EXPECT_EQ(follower.RunOnce().value(), 0u);
  rpc.head = 12;  // target 10: blocks 1..4, 5..8, 9..10
  EXPECT_EQ(follower.RunOnce().value(), 4u);
  EXPECT_EQ(follower.RunOnce().value(), 4u);
  EXPECT_EQ(follower.RunOnce().value(), 2u);
  EXPECT_EQ(follower.RunOnce().value(), 0u);
  EXPECT_EQ(follower.head(), 12u);
  EXPECT_EQ(follower.ingested(), 10u);
  // Headers only for blocks with events (n % 3 != 0) and the ranges' last
  // blocks, one batch a range.
  EXPECT_EQ(rpc.headers, (std::vector<uint64_t>{1, 2, 4, 5, 7, 8, 10}));
  EXPECT_EQ(rpc.header_batches,
            (std::vector<std::vector<uint64_t>>{{1, 2, 4}, {5, 7, 8}, {10}}));
  size_t events = 0, markers = 0;
  for (const auto& r : sink.On("cf.anvil.events")) {
    if (*FindHeader(r, "ce_type") == "chainflow.evm.BlockEnd") {
      ++markers;
    } else {
      ++events;
      v1::Envelope env;
      ASSERT_TRUE(env.ParseFromString(r.value));
      const auto& log = env.erc721_transfer().log();
      EXPECT_EQ(log.block_timestamp(), 1'600'000'000 + log.block_number());
      EXPECT_EQ(log.block_hash(), Hash(log.block_number()));
    }
  }
  EXPECT_EQ(events, 1u + 2 + 1 + 2 + 1 + 2 + 1);
  EXPECT_EQ(markers, 7u * 3);
}

// Above the finalized block (head 12, finality depth 5: block 7), every
// BlockEnd names block 7 and its timestamp (what decisions that wait for
// finality follow); at or below it, the block itself.
TEST(LiveFollowerTest, BlockEndsCarryTheFinalizedBlockAndItsTime) {
  FakeRpc rpc;
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  core::ChainConfig chain = Chain();
  chain.confirmations = 0;
  chain.finality_depth = 5;
  chain.max_block_range = 100;
  LiveFollower follower(chain, LogDecoder("anvil", {}), rpc, Factory(sink, tails), *headers);
  rpc.head = 12;
  for (size_t n = 1; n > 0;) n = follower.RunOnce().value();
  std::set<uint64_t> seen;
  for (const auto& r : sink.On("cf.anvil.events")) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    if (!env.has_block_end()) continue;
    const v1::BlockEnd& end = env.block_end();
    seen.insert(end.number());
    uint64_t finalized = std::min<uint64_t>(end.number(), 7);
    EXPECT_EQ(end.finalized(), finalized) << end.number();
    EXPECT_EQ(end.finalized_timestamp(), 1'600'000'000 + finalized) << end.number();
  }
  for (uint64_t block : {2, 7, 8, 10, 11}) EXPECT_TRUE(seen.count(block)) << block;
}

// A range whose last block has no events still ends with that block's
// BlockEnd, its header in the same batch as the others'.
TEST(LiveFollowerTest, AQuietLastBlockJoinsTheRangesHeaderBatch) {
  FakeRpc rpc;
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  core::ChainConfig chain = Chain();
  chain.max_block_range = 6;
  LiveFollower follower(chain, LogDecoder("anvil", {}), rpc, Factory(sink, tails), *headers);
  rpc.head = 8;  // target 6: blocks 1..6, block 6 without events
  EXPECT_EQ(follower.RunOnce().value(), 6u);
  EXPECT_EQ(rpc.header_batches, (std::vector<std::vector<uint64_t>>{{1, 2, 4, 5, 6}}));
  EXPECT_EQ(rpc.headers, (std::vector<uint64_t>{1, 2, 4, 5, 6}));
  std::set<uint64_t> ends;
  for (const auto& r : sink.On("cf.anvil.events")) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    if (env.has_block_end()) ends.insert(env.block_end().number());
  }
  EXPECT_EQ(ends, (std::set<uint64_t>{1, 2, 4, 5, 6}));
}

TEST(LiveFollowerTest, ResumesWithoutDuplicatesAndHalvesRefusedRanges) {
  FakeRpc rpc;
  rpc.head = 12;
  FakeSink sink;
  FakeTailReader empty;
  TempHeaders headers;
  {
    LiveFollower follower(Chain(), LogDecoder("anvil", {}), rpc, Factory(sink, empty), *headers);
    EXPECT_EQ(follower.RunOnce().value(), 4u);
  }
  // A new process: resumes from the topic's tails.
  FakeTailReader tails(sink.records);
  FakeSink sink2;
  LiveFollower follower(Chain(), LogDecoder("anvil", {}), rpc, Factory(sink2, tails), *headers);
  rpc.ranges.clear();
  rpc.max_range = 2;
  EXPECT_EQ(follower.RunOnce().value(), 0u);  // 5..8 refused: range halved
  EXPECT_EQ(follower.RunOnce().value(), 2u);
  EXPECT_EQ(rpc.ranges.front().first, 5u);
  EXPECT_EQ(rpc.ranges.back(), (std::pair<uint64_t, uint64_t>{5, 6}));
  for (const auto& r : sink2.records) {
    EXPECT_GE(common::Position::Parse(*FindHeader(r, "cf_pos")).value().block, 5u);
  }
  // Resumed below the finalized block (finality depth 1): nothing to recover.
  EXPECT_EQ(tails.last_values_calls, 0);
}

TEST(LiveFollowerTest, StartStop) {
  FakeRpc rpc;
  rpc.head = 5;
  FakeSink sink;
  FakeTailReader tails;
  core::ChainConfig chain = Chain();
  chain.poll_interval_ms = 10;
  TempHeaders headers;
  LiveFollower follower(chain, LogDecoder("anvil", {}), rpc, Factory(sink, tails), *headers);
  follower.Start();
  follower.Stop();
  follower.Stop();  // idempotent
  EXPECT_TRUE(follower.last_status().ok());
}

// A chain that can be reorganized: block n of branch `b` has hash
// H(n, b) and one ERC-721 transfer of token n to an owner that names the
// branch. Blocks are replaced from a height on by a new branch.
class ForkingRpc : public EvmRpc {
 public:
  explicit ForkingRpc(uint64_t height) {
    for (uint64_t n = 0; n <= height; ++n) branch_of.push_back(0);
  }
  static std::string H(uint64_t n, uint32_t branch) {
    return std::string(23, '\0') + std::string(1, static_cast<char>(branch)) +
           std::string(1, '\0') + std::string(1, static_cast<char>(n >> 8)) +
           std::string(5, '\0') + std::string(1, static_cast<char>(n));
  }
  std::string HashOf(uint64_t n) const { return H(n, branch_of.at(n)); }
  // Replaces the newest `depth` blocks with a new branch and adds `extra`.
  void Reorg(uint64_t depth, uint64_t extra) {
    ++branches;
    uint64_t height = branch_of.size() - 1;
    for (uint64_t n = height - depth + 1; n <= height; ++n) branch_of[n] = branches;
    for (uint64_t i = 0; i < extra; ++i) branch_of.push_back(branches);
  }
  core::Result<uint64_t> BlockNumber() override { return branch_of.size() - 1; }
  core::Result<LogBatch> GetLogs(uint64_t from, uint64_t to,
                                 const std::vector<core::Address>&) override {
    std::vector<std::string> out;
    for (uint64_t b = from; b <= to && b < branch_of.size(); ++b) {
      out.push_back(fmt::format(
          R"({{"address":"0x57a204aa1042f6e66dd7730813f4024114d74f37","topics":["{}",)"
          R"("0x{:064x}","0x{:064x}","0x{:064x}"],"data":"0x","blockNumber":"0x{:x}",)"
          R"("blockHash":"{}","transactionHash":"0x{:064x}","transactionIndex":"0x0",)"
          R"("logIndex":"0x0","removed":false}})",
          kTransferTopic, 0, 100 + branch_of[b], b, b, core::ToHex(HashOf(b)), b));
    }
    return LogBatch::FromTexts(out);
  }
  core::Result<BlockHeader> GetBlockHeader(uint64_t n) override {
    if (n >= branch_of.size()) return core::UnavailableError("no such block");
    return BlockHeader{n, HashOf(n), n == 0 ? std::string(32, '\0') : HashOf(n - 1),
                       1'600'000'000 + int64_t(n)};
  }
  core::Result<BlockHeader> GetFinalizedHeader() override {
    return core::UnavailableError("not used");
  }
  std::vector<uint32_t> branch_of;
  uint32_t branches = 0;
};

core::ChainConfig HeadChain(uint64_t finality_depth) {
  core::ChainConfig chain;
  chain.name = "anvil";
  chain.confirmations = 0;
  chain.start_block = 1;
  chain.max_block_range = 4;
  chain.finality_depth = finality_depth;
  return chain;
}

void RunUntilCaughtUp(LiveFollower& follower) {
  for (int i = 0; i < 100; ++i) {
    auto blocks = follower.RunOnce();
    ASSERT_TRUE(blocks.has_value()) << blocks.error().ToString();
    if (blocks.value() == 0) return;
  }
  FAIL() << "never caught up";
}

// Replays what a partition holds the way a processor would see it: the
// owner of each token, with BlockReverted undoing the blocks it names.
std::map<uint64_t, uint64_t> OwnersIn(const std::vector<engine::log::OutRecord>& records,
                                      int32_t partition) {
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> by_block;  // block -> token,to
  for (const auto& r : records) {
    if (r.topic != "cf.anvil.events" || r.partition.value() != partition) continue;
    v1::Envelope env;
    EXPECT_TRUE(env.ParseFromString(r.value));
    if (env.has_erc721_transfer()) {
      const auto& t = env.erc721_transfer();
      by_block[t.log().block_number()].emplace_back(
          static_cast<uint8_t>(t.token_id().back()), static_cast<uint8_t>(t.to().back()));
    } else if (env.has_block_reverted()) {
      by_block.erase(env.block_reverted().number());
    }
  }
  std::map<uint64_t, uint64_t> owners;
  for (const auto& [block, changes] : by_block) {
    for (const auto& [token, to] : changes) owners[token] = to;
  }
  return owners;
}

TEST(LiveFollowerReorgTest, RevertsOrphansNewestFirstThenFollowsTheNewBranch) {
  ForkingRpc rpc(10);
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, Factory(sink, tails),
                        *headers);
  RunUntilCaughtUp(follower);
  EXPECT_EQ(follower.ingested(), 10u);
  size_t before = sink.records.size();

  rpc.Reorg(3, 2);  // 8, 9, 10 replaced; 11, 12 added
  RunUntilCaughtUp(follower);
  EXPECT_EQ(follower.ingested(), 12u);
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.deepest_reorg(), 3u);

  // Every partition: BlockReverted 10, 9, 8 (ancestor 7) in fork 1, then the
  // new branch; positions strictly increase.
  for (int32_t p = 0; p < 3; ++p) {
    std::vector<uint64_t> reverted;
    std::optional<common::Position> last;
    for (size_t i = before; i < sink.records.size(); ++i) {
      const auto& r = sink.records[i];
      if (r.topic != "cf.anvil.events" || r.partition.value() != p) continue;
      auto pos = common::Position::Parse(*FindHeader(r, "cf_pos")).value();
      EXPECT_EQ(pos.fork, 1u);
      if (last) {
        EXPECT_LT(*last, pos);
      }
      last = pos;
      v1::Envelope env;
      ASSERT_TRUE(env.ParseFromString(r.value));
      if (env.has_block_reverted()) {
        EXPECT_EQ(env.block_reverted().ancestor(), 7u);
        EXPECT_EQ(env.block_reverted().hash(), ForkingRpc::H(env.block_reverted().number(), 0));
        reverted.push_back(env.block_reverted().number());
      }
      if (env.has_erc721_transfer()) {
        EXPECT_GE(env.erc721_transfer().log().block_number(), 8u);
        EXPECT_NE(env.id().find("/f1"), std::string::npos) << env.id();
      }
      if (env.has_block_end()) {
        EXPECT_EQ(env.block_end().reorgs(), 1u);
      }
    }
    EXPECT_EQ(reverted, (std::vector<uint64_t>{10, 9, 8})) << "partition " << p;
  }
  // Applying each partition's records with the reverts gives the new
  // branch's owners: tokens 8..12 belong to branch 1's owner (101).
  std::map<uint64_t, uint64_t> owners;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& [token, owner] : OwnersIn(sink.records, p)) owners[token] = owner;
  }
  for (uint64_t t = 1; t <= 12; ++t) EXPECT_EQ(owners[t], t >= 8 ? 101u : 100u) << t;
}

// A run of ingest that follows `rpc` to its head into `sink`, then stops.
void FollowToTheHead(ForkingRpc& rpc, FakeSink& sink, HeaderStore& headers) {
  FakeTailReader tails;
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, Factory(sink, tails),
                        headers);
  RunUntilCaughtUp(follower);
  ASSERT_EQ(follower.ingested(), rpc.branch_of.size() - 1);
}

// Every partition of the chain topic in `sink` reverts `blocks`, in that
// order, back to `ancestor`.
void ExpectRevertedOnEveryPartition(const FakeSink& sink, uint64_t ancestor,
                                    const std::vector<uint64_t>& blocks) {
  for (int32_t p = 0; p < 3; ++p) {
    std::vector<uint64_t> reverted;
    for (const auto& r : sink.On("cf.anvil.events")) {
      v1::Envelope env;
      ASSERT_TRUE(env.ParseFromString(r.value));
      if (r.partition.value() == p && env.has_block_reverted()) {
        EXPECT_EQ(env.block_reverted().ancestor(), ancestor);
        reverted.push_back(env.block_reverted().number());
      }
    }
    EXPECT_EQ(reverted, blocks) << "partition " << p;
  }
}

// The owners two runs' records give, applied in order on every partition.
std::map<uint64_t, uint64_t> OwnersAfter(const FakeSink& first, const FakeSink& second) {
  std::vector<engine::log::OutRecord> all = first.records;
  all.insert(all.end(), second.records.begin(), second.records.end());
  std::map<uint64_t, uint64_t> owners;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& [token, owner] : OwnersIn(all, p)) owners[token] = owner;
  }
  return owners;
}

// Ingest stopped, its header store was lost (a wiped state directory, a new
// machine) and the chain reorganized meanwhile: the headers come back from
// the topic's BlockEnd markers, so the reorg is still seen and reverted.
TEST(LiveFollowerReorgTest, AWipedHeaderStoreStillSeesAReorgThatHappenedWhileDown) {
  ForkingRpc rpc(10);
  FakeSink sink;
  {
    TempHeaders lost;
    FollowToTheHead(rpc, sink, *lost);
  }
  rpc.Reorg(3, 2);  // while down: 8, 9, 10 replaced; 11, 12 added

  FakeTailReader tails(sink.records);
  FakeSink sink2;
  TempHeaders fresh;  // nothing stored
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, Factory(sink2, tails),
                        *fresh);
  RunUntilCaughtUp(follower);
  EXPECT_EQ(tails.last_values_calls, 1);
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.ingested(), 12u);
  ExpectRevertedOnEveryPartition(sink2, 7, {10, 9, 8});
  // Both runs' records applied in order give the new branch's owners.
  std::map<uint64_t, uint64_t> owners = OwnersAfter(sink, sink2);
  for (uint64_t t = 1; t <= 12; ++t) EXPECT_EQ(owners[t], t >= 8 ? 101u : 100u) << t;
}

// As above, but the blocks just above the finalized one had no events on the
// old branch, so none of them has a BlockEnd to recover and the reorg
// replaced every recovered block: the finalized block is the anchor the
// reorg is reverted to (it stopped ingest as "deeper than the window").
TEST(LiveFollowerReorgTest, AWipedHeaderStoreRevertsToTheFinalizedBlockPastBlocksWithoutEvents) {
  // Blocks 21..26 of the first branch have no logs (24 still gets a BlockEnd:
  // it ends a range of 4).
  class QuietRpc : public ForkingRpc {
   public:
    using ForkingRpc::ForkingRpc;
    core::Result<LogBatch> GetLogs(uint64_t from, uint64_t to,
                                   const std::vector<core::Address>& addresses) override {
      ASSIGN_OR_RETURN(LogBatch all, ForkingRpc::GetLogs(from, to, addresses));
      std::vector<std::string> kept;
      for (std::string& text : all.Texts()) {
        const uint64_t block = std::stoull(
            text.substr(text.find("\"blockNumber\":\"0x") + 17), nullptr, 16);
        if (block >= 21 && block <= 26 && branch_of[block] == 0) continue;
        kept.push_back(std::move(text));
      }
      return LogBatch::FromTexts(kept);
    }
  };
  QuietRpc rpc(30);
  FakeSink sink;
  {
    TempHeaders lost;
    FakeTailReader no_tails;
    LiveFollower first(HeadChain(10), LogDecoder("anvil", {}), rpc, Factory(sink, no_tails),
                       *lost);
    RunUntilCaughtUp(first);
    ASSERT_EQ(first.ingested(), 30u);
  }
  rpc.Reorg(8, 2);  // while down: 23..30 replaced, 31 and 32 added; finalized now 22

  FakeTailReader tails(sink.records);
  FakeSink sink2;
  TempHeaders fresh;
  LiveFollower follower(HeadChain(10), LogDecoder("anvil", {}), rpc, Factory(sink2, tails),
                        *fresh);
  RunUntilCaughtUp(follower);
  EXPECT_TRUE(follower.last_status().ok()) << follower.last_status().ToString();
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.ingested(), 32u);
  // The blocks the first run appended above 22: those with events, and 24.
  ExpectRevertedOnEveryPartition(sink2, 22, {30, 29, 28, 27, 24});
  std::map<uint64_t, uint64_t> owners = OwnersAfter(sink, sink2);
  for (uint64_t t = 1; t <= 32; ++t) {
    if (t >= 21 && t <= 22) {
      EXPECT_FALSE(owners.contains(t)) << t;
    } else {
      EXPECT_EQ(owners[t], t >= 23 ? 101u : 100u) << t;
    }
  }
}

// The same with the store intact: nothing is read back from the topic.
TEST(LiveFollowerReorgTest, AnIntactHeaderStoreIsNotRecovered) {
  ForkingRpc rpc(10);
  FakeSink sink;
  TempHeaders headers;
  FollowToTheHead(rpc, sink, *headers);
  rpc.Reorg(3, 2);
  FakeTailReader tails(sink.records);
  FakeSink sink2;
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, Factory(sink2, tails),
                        *headers);
  RunUntilCaughtUp(follower);
  EXPECT_EQ(tails.last_values_calls, 0);
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.ingested(), 12u);
}

TEST(LiveFollowerReorgTest, SameHeightReorgIsSeenWhenCaughtUp) {
  ForkingRpc rpc(6);
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, Factory(sink, tails),
                        *headers);
  RunUntilCaughtUp(follower);
  rpc.Reorg(2, 0);  // 5 and 6 replaced, height unchanged
  RunUntilCaughtUp(follower);
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.ingested(), 6u);
  std::map<uint64_t, uint64_t> owners;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& [token, owner] : OwnersIn(sink.records, p)) owners[token] = owner;
  }
  EXPECT_EQ(owners[4], 100u);
  EXPECT_EQ(owners[5], 101u);
  EXPECT_EQ(owners[6], 101u);
}

// The node's chain gets SHORTER than what was ingested (evm_revert, or a
// reorg to a branch with fewer blocks): the blocks it no longer has are
// reverted at once, not retried until the chain grows back.
TEST(LiveFollowerReorgTest, AShorterChainRevertsTheBlocksTheNodeDropped) {
  ForkingRpc rpc(10);
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, Factory(sink, tails),
                        *headers);
  RunUntilCaughtUp(follower);
  rpc.branch_of.resize(8);  // blocks 8, 9, 10 dropped: head 7
  RunUntilCaughtUp(follower);
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.deepest_reorg(), 3u);
  EXPECT_EQ(follower.ingested(), 7u);
  std::map<uint64_t, uint64_t> owners;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& [token, owner] : OwnersIn(sink.records, p)) owners[token] = owner;
  }
  EXPECT_EQ(owners.size(), 7u);
  EXPECT_FALSE(owners.count(8));

  rpc.Reorg(0, 2);  // the chain grows again on a new branch: 8 and 9
  RunUntilCaughtUp(follower);
  EXPECT_EQ(follower.reorgs(), 1u);
  EXPECT_EQ(follower.ingested(), 9u);
  owners.clear();
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& [token, owner] : OwnersIn(sink.records, p)) owners[token] = owner;
  }
  EXPECT_EQ(owners[7], 100u);
  EXPECT_EQ(owners[8], 101u);
  EXPECT_EQ(owners[9], 101u);
  EXPECT_FALSE(owners.count(10));
}

TEST(LiveFollowerReorgTest, AReorgDeeperThanTheWindowStopsIngestNamingTheBlocks) {
  ForkingRpc rpc(20);
  FakeSink sink;
  FakeTailReader tails;
  TempHeaders headers;
  LiveFollower follower(HeadChain(3), LogDecoder("anvil", {}), rpc, Factory(sink, tails),
                        *headers);
  RunUntilCaughtUp(follower);
  size_t before = sink.records.size();
  rpc.Reorg(6, 1);
  auto result = follower.RunOnce();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.error().message().find("reorg deeper than the finality window"),
            std::string::npos)
      << result.error().message();
  // Block 20 changed, and so did everything down to 17 = 20 - finality_depth.
  EXPECT_NE(result.error().message().find("block 20 changed"), std::string::npos)
      << result.error().message();
  EXPECT_NE(result.error().message().find("down to 17"), std::string::npos)
      << result.error().message();
  // Nothing written past it, and it stays stopped.
  EXPECT_EQ(follower.RunOnce().error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sink.records.size(), before);
  EXPECT_EQ(follower.ingested(), 20u);
}

// Fails every send after `budget` successful ones.
class FlakySink : public engine::log::RecordSink {
 public:
  explicit FlakySink(FakeSink& inner) : inner_(inner) {}
  core::Status Send(const engine::log::OutRecord& record) override {
    if (budget == 0) return core::UnavailableError("broker gone");
    if (budget > 0) --budget;
    return inner_.Send(record);
  }
  core::Status Flush(std::chrono::milliseconds t) override { return inner_.Flush(t); }
  int budget = -1;  // -1: unlimited

 private:
  FakeSink& inner_;
};

TEST(LiveFollowerReorgTest, ACrashMidReorgSendsEachMarkerOnceAfterRestart) {
  ForkingRpc rpc(10);
  FakeSink sink;
  FlakySink flaky(sink);
  TempHeaders headers;
  auto factory = [&flaky, &sink]() {
    // A restarted process: tails from what the topic holds.
    static FakeTailReader tails;
    tails = FakeTailReader(sink.records);
    return common::ChainAppender::Open({"anvil", "cf.anvil.events", 3, "cf.dlq"}, flaky, tails);
  };
  {
    LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, factory, *headers);
    RunUntilCaughtUp(follower);
    rpc.Reorg(4, 1);
    flaky.budget = 5;  // 12 markers are due (4 blocks x 3 partitions)
    EXPECT_FALSE(follower.RunOnce().has_value());
  }
  flaky.budget = -1;
  headers.Reopen();  // a new process
  ASSERT_TRUE(headers->pending().has_value());
  LiveFollower follower(HeadChain(64), LogDecoder("anvil", {}), rpc, factory, *headers);
  RunUntilCaughtUp(follower);
  EXPECT_FALSE(headers->pending().has_value());
  EXPECT_EQ(follower.reorgs(), 1u);
  std::map<std::pair<int32_t, uint64_t>, int> markers;
  for (const auto& r : sink.records) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    if (env.has_block_reverted()) ++markers[{r.partition.value(), env.block_reverted().number()}];
  }
  EXPECT_EQ(markers.size(), 12u);
  for (const auto& [where, count] : markers) {
    EXPECT_EQ(count, 1) << where.first << "/" << where.second;
  }
  std::map<uint64_t, uint64_t> owners;
  for (int32_t p = 0; p < 3; ++p) {
    for (const auto& [token, owner] : OwnersIn(sink.records, p)) owners[token] = owner;
  }
  for (uint64_t t = 1; t <= 11; ++t) EXPECT_EQ(owners[t], t >= 7 ? 101u : 100u) << t;
}

TEST(RpcErrorStatusTest, MapsJsonRpcCodes) {
  EXPECT_EQ(RpcErrorStatus(-32602, "invalid params", "eth_getLogs").code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RpcErrorStatus(-32005, "query returned more than 10000 results", "eth_getLogs").code(),
            core::StatusCode::kResourceExhausted);
  core::Status s = RpcErrorStatus(-32000, "header not found", "eth_getBlockByNumber");
  EXPECT_EQ(s.code(), core::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("header not found"), std::string::npos);
  // A block above the node's head (its head moved back under a reorg while
  // a step ran): retried, not a bad request, although Anvil sends -32602.
  for (const char* message : {"BlockOutOfRangeError: block height is 68 but requested was 73",
                              "block range extends beyond current head block",
                              "unknown block"}) {
    EXPECT_EQ(RpcErrorStatus(-32602, message, "eth_getLogs").code(),
              core::StatusCode::kUnavailable)
        << message;
  }
}

TEST(RpcClientTest, RejectsUnsupportedUrls) {
  EXPECT_EQ(RpcClient::Open({"ftp://node.example"}).error().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RpcClient::Open({"127.0.0.1:8545"}).error().code(),
            core::StatusCode::kInvalidArgument);
  for (const char* url : {"http://127.0.0.1:8545", "https://node.example/v3/k",
                          "ws://127.0.0.1:8545", "wss://node.example"}) {
    EXPECT_TRUE(RpcClient::Open({url}).has_value()) << url;  // connects on the first call
  }
}

TEST(RpcClientTest, ConnectionRefusedIsUnavailable) {
  // Port 1 on loopback: nothing listens; fails fast, no network.
  // No retries: each would sleep a backoff.
  auto client =
      RpcClient::Open({"http://127.0.0.1:1", std::chrono::milliseconds(500), 0}).value();
  auto head = client->BlockNumber();
  EXPECT_EQ(head.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(head.error().message().find("eth_blockNumber http://127.0.0.1:1"), std::string::npos)
      << head.error().message();
}

}  // namespace
}  // namespace chainflow::ingest::evm
