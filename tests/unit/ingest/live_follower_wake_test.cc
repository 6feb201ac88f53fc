// LiveFollower woken by NotifyNewHead (what a newHeads subscription calls),
// or by its own head probes around the expected block (HeadClock), instead
// of waiting out its poll interval.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/evm/live_follower.h"
#include "tests/unit/ingest/fakes.h"

namespace chainflow::ingest::evm {
namespace {

using namespace std::chrono_literals;

std::string Hash(uint64_t n) { return std::string(31, '\0') + static_cast<char>(n); }

// A chain without logs whose head the test moves (from any thread).
class MovingHeadRpc : public EvmRpc {
 public:
  core::Result<uint64_t> BlockNumber() override {
    ++head_reads;
    return head.load();
  }
  core::Result<LogBatch> GetLogs(uint64_t, uint64_t, const std::vector<core::Address>&) override {
    return LogBatch{};
  }
  core::Result<BlockHeader> GetBlockHeader(uint64_t n) override {
    return BlockHeader{n, Hash(n), Hash(n - 1), 1'600'000'000 + int64_t(n)};
  }
  core::Result<BlockHeader> GetFinalizedHeader() override {
    return core::UnavailableError("none");
  }
  std::atomic<uint64_t> head{5};
  std::atomic<int> head_reads{0};
};

template <typename Pred>
bool WaitFor(std::chrono::milliseconds limit, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
  return pred();
}

// A follower of `rpc` into a fake topic, over a header store in a fresh
// directory; the chain's 60 s poll interval means only a wake-up or a head
// window can explain progress.
class LiveFollowerWakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("cf_wake_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    headers_ = HeaderStore::Open(dir_.string()).value();
    chain_.name = "anvil";
    chain_.start_block = 1;
    chain_.poll_interval_ms = 60'000;
  }
  void TearDown() override {
    headers_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<LiveFollower> Follower() {
    return std::make_unique<LiveFollower>(
        chain_, LogDecoder("anvil", {}), rpc_,
        [this] {
          return common::ChainAppender::Open({"anvil", "cf.anvil.events", 1, "cf.dlq"}, sink_,
                                             tails_);
        },
        *headers_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<HeaderStore> headers_;
  MovingHeadRpc rpc_;  // 1 s between block timestamps
  testing::FakeSink sink_;
  testing::FakeTailReader tails_;
  core::ChainConfig chain_;
};

TEST_F(LiveFollowerWakeTest, NewHeadEndsTheCaughtUpWaitAtOnce) {
  auto follower = Follower();
  follower->SetHeadSubscriptionLive(true);
  follower->Start();
  // Blocks 1..5 in one step (one head read), then the step that finds it
  // caught up (the second read) and starts the 60 s wait: moving the head
  // before that step read it would let it ingest without a wake-up.
  ASSERT_TRUE(
      WaitFor(2s, [&] { return follower->ingested() == 5 && rpc_.head_reads.load() >= 2; }));
  rpc_.head = 7;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(follower->ingested(), 5u) << "polled although the interval is 60 s";
  follower->NotifyNewHead(7);
  EXPECT_TRUE(WaitFor(2s, [&] { return follower->ingested() == 7; }));
  // Down and up again: each re-chooses the wait, neither loses the next head.
  follower->SetHeadSubscriptionLive(false);
  follower->SetHeadSubscriptionLive(true);
  rpc_.head = 9;
  follower->NotifyNewHead(9);
  EXPECT_TRUE(WaitFor(2s, [&] { return follower->ingested() == 9; }));
  follower->Stop();
  follower->Stop();
}

TEST_F(LiveFollowerWakeTest, WithoutASubscriptionItProbesWhereTheNextBlockIsDue) {
  chain_.head_poll_ms = 10;
  auto follower = Follower();
  follower->Start();
  ASSERT_TRUE(WaitFor(2s, [&] { return follower->ingested() == 5; }));
  // A block a second, as the timestamps say: each is ingested well before
  // the 60 s poll, and not by reading the head all the time (a 10 ms
  // loop would read it ~300 times in these 3 s; the windows read it for
  // the first second, then ~12 times a block).
  auto started = std::chrono::steady_clock::now();
  for (uint64_t block = 6; block <= 8; ++block) {
    std::this_thread::sleep_until(started + (block - 5) * 1s);
    rpc_.head = block;
    EXPECT_TRUE(WaitFor(800ms, [&] { return follower->ingested() == block; }))
        << "block " << block << " not ingested within 800 ms";
  }
  int reads = rpc_.head_reads.load();
  EXPECT_LT(reads, 200) << "probed outside the windows";
  // A chain that stops: after three missed windows the follower is back
  // to its 60 s poll.
  std::this_thread::sleep_for(3500ms);
  int stalled = rpc_.head_reads.load();
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(rpc_.head_reads.load(), stalled) << "still probing a stalled chain";
  follower->Stop();
}

TEST_F(LiveFollowerWakeTest, AFollowerStartedAtTheHeadLearnsTheIntervalAtOnce) {
  rpc_.head = 40;
  chain_.start_block = 40;  // one block to ingest: one header, no interval from it
  chain_.head_poll_ms = 10;
  auto follower = Follower();
  follower->Start();
  ASSERT_TRUE(WaitFor(2s, [&] { return follower->ingested() == 40; }));
  std::this_thread::sleep_for(300ms);
  rpc_.head = 41;
  EXPECT_TRUE(WaitFor(1500ms, [&] { return follower->ingested() == 41; }))
      << "the first block after a start at the head waited for the 60 s poll";
  follower->Stop();
}

TEST(LiveFollowerProbeTest, ProbesTakeAtMostAQuarterOfARateLimit) {
  core::ChainConfig chain;
  chain.head_poll_ms = 20;
  EXPECT_EQ(LiveFollower::HeadProbeInterval(chain), 20ms);
  chain.rpc_requests_per_second = 1000;  // 4 ms: under head_poll_ms
  EXPECT_EQ(LiveFollower::HeadProbeInterval(chain), 20ms);
  chain.rpc_requests_per_second = 10;
  EXPECT_EQ(LiveFollower::HeadProbeInterval(chain), 400ms);
  chain.rpc_requests_per_second = 3;
  EXPECT_EQ(LiveFollower::HeadProbeInterval(chain), 1334ms);
  chain.head_poll_ms = 0;
  EXPECT_EQ(LiveFollower::HeadProbeInterval(chain), 0ms);
}

}  // namespace
}  // namespace chainflow::ingest::evm
