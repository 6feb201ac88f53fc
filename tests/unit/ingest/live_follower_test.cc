#include "ingest/evm/live_follower.h"

#include <map>

#include <gtest/gtest.h>

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
  core::Result<std::vector<std::string>> GetLogs(uint64_t from, uint64_t to,
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
    return out;
  }
  core::Result<BlockHeader> GetBlockHeader(uint64_t number) override {
    headers.push_back(number);
    return BlockHeader{number, Hash(number), Hash(number - 1), 1'600'000'000 + int64_t(number)};
  }
  core::Result<BlockHeader> GetFinalizedHeader() override {
    return core::UnavailableError("the fake chain has no finalized block");
  }

  uint64_t head = 0;
  uint64_t max_range = 1000;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  std::vector<uint64_t> headers;
};

core::ChainConfig Chain() {
  core::ChainConfig chain;
  chain.name = "anvil";
  chain.confirmations = 2;
  chain.start_block = 1;
  chain.max_block_range = 4;
  return chain;
}

AppenderFactory Factory(FakeSink& sink, FakeTailReader& tails) {
  return [&sink, &tails]() {
    return common::ChainAppender::Open({"anvil", "cf.anvil.events", 3, "cf.dlq"}, sink, tails);
  };
}

TEST(LiveFollowerTest, FollowsTheHeadMinusConfirmations) {
  FakeRpc rpc;
  FakeSink sink;
  FakeTailReader tails;
  LiveFollower follower(Chain(), LogDecoder("anvil", {}), rpc, Factory(sink, tails));
  rpc.head = 1;  // below confirmations
  EXPECT_EQ(follower.RunOnce().value(), 0u);
  rpc.head = 12;  // target 10: blocks 1..4, 5..8, 9..10
  EXPECT_EQ(follower.RunOnce().value(), 4u);
  EXPECT_EQ(follower.RunOnce().value(), 4u);
  EXPECT_EQ(follower.RunOnce().value(), 2u);
  EXPECT_EQ(follower.RunOnce().value(), 0u);
  EXPECT_EQ(follower.head(), 12u);
  EXPECT_EQ(follower.ingested(), 10u);
  // Headers only for blocks with events (n % 3 != 0).
  EXPECT_EQ(rpc.headers, (std::vector<uint64_t>{1, 2, 4, 5, 7, 8, 10}));
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

TEST(LiveFollowerTest, ResumesWithoutDuplicatesAndHalvesRefusedRanges) {
  FakeRpc rpc;
  rpc.head = 12;
  FakeSink sink;
  FakeTailReader empty;
  {
    LiveFollower follower(Chain(), LogDecoder("anvil", {}), rpc, Factory(sink, empty));
    EXPECT_EQ(follower.RunOnce().value(), 4u);
  }
  // A new process: resumes from the topic's tails.
  FakeTailReader tails(sink.records);
  FakeSink sink2;
  LiveFollower follower(Chain(), LogDecoder("anvil", {}), rpc, Factory(sink2, tails));
  rpc.ranges.clear();
  rpc.max_range = 2;
  EXPECT_EQ(follower.RunOnce().value(), 0u);  // 5..8 refused: range halved
  EXPECT_EQ(follower.RunOnce().value(), 2u);
  EXPECT_EQ(rpc.ranges.front().first, 5u);
  EXPECT_EQ(rpc.ranges.back(), (std::pair<uint64_t, uint64_t>{5, 6}));
  for (const auto& r : sink2.records) {
    EXPECT_GE(common::Position::Parse(*FindHeader(r, "cf_pos")).value().block, 5u);
  }
}

TEST(LiveFollowerTest, StartStop) {
  FakeRpc rpc;
  rpc.head = 5;
  FakeSink sink;
  FakeTailReader tails;
  core::ChainConfig chain = Chain();
  chain.poll_interval_ms = 10;
  LiveFollower follower(chain, LogDecoder("anvil", {}), rpc, Factory(sink, tails));
  follower.Start();
  follower.Stop();
  follower.Stop();  // idempotent
  EXPECT_TRUE(follower.last_status().ok());
}

TEST(RpcErrorStatusTest, MapsJsonRpcCodes) {
  EXPECT_EQ(RpcErrorStatus(-32602, "invalid params", "eth_getLogs").code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RpcErrorStatus(-32005, "query returned more than 10000 results", "eth_getLogs").code(),
            core::StatusCode::kResourceExhausted);
  core::Status s = RpcErrorStatus(-32000, "header not found", "eth_getBlockByNumber");
  EXPECT_EQ(s.code(), core::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("header not found"), std::string::npos);
}

TEST(RpcClientTest, RejectsUnsupportedUrls) {
  EXPECT_EQ(RpcClient::Open({"https://node.example"}).error().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RpcClient::Open({"http://127.0.0.1:8545"}).has_value());
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
