// The user event clock: max(wall clock, chain time, previous reading), never
// backwards, shared by the ticker and the write handlers; and the feed that
// keeps its chain time current.
#include "api/handlers/user_event_clock.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/handlers/chain_time_feed.h"
#include "api/handlers/user_clock.h"
#include "chainflow/v1/events.pb.h"
#include "tests/support/fake_log.h"

namespace chainflow::api::handlers {
namespace {

namespace core = engine::core;

constexpr int64_t kWall = 1'700'000'000;

TEST(UserEventClockTest, IsTheWallClockWithoutChainTime) {
  int64_t wall = kWall;
  UserEventClock clock([&wall] { return wall; });
  EXPECT_EQ(clock.Now(), kWall);
  wall += 3;
  EXPECT_EQ(clock.Now(), kWall + 3);
  EXPECT_EQ(clock.chain_time(), 0);
}

TEST(UserEventClockTest, FollowsAChainAheadOfTheWallClock) {
  int64_t wall = kWall;
  UserEventClock clock([&wall] { return wall; });
  clock.ObserveChainTime(kWall + 3600);  // evm_increaseTime(3600)
  EXPECT_EQ(clock.Now(), kWall + 3600);
  clock.ObserveChainTime(kWall + 7 * 86'400);
  EXPECT_EQ(clock.Now(), kWall + 7 * 86'400);
  // The wall clock overtaking the chain takes over again.
  wall = kWall + 8 * 86'400;
  EXPECT_EQ(clock.Now(), wall);
}

TEST(UserEventClockTest, AChainBehindTheWallClockChangesNothing) {
  UserEventClock clock([] { return kWall; });
  clock.ObserveChainTime(kWall - 86'400);  // a replay of history
  EXPECT_EQ(clock.Now(), kWall);
  EXPECT_EQ(clock.chain_time(), kWall - 86'400);
}

TEST(UserEventClockTest, NeverGoesBackwards) {
  int64_t wall = kWall;
  UserEventClock clock([&wall] { return wall; });
  clock.ObserveChainTime(kWall + 100);
  EXPECT_EQ(clock.Now(), kWall + 100);
  clock.ObserveChainTime(kWall + 50);  // a reorg to an earlier block
  EXPECT_EQ(clock.chain_time(), kWall + 100);
  EXPECT_EQ(clock.Now(), kWall + 100);
  wall = kWall + 200;
  EXPECT_EQ(clock.Now(), kWall + 200);
  wall = kWall - 1000;  // an NTP step back
  EXPECT_EQ(clock.Now(), kWall + 200);
}

TEST(UserEventClockTest, ReadingsAreMonotonicAcrossThreads) {
  // The wall clock jitters back and forth while chain time grows: every
  // thread's readings are non-decreasing, and none exceeds a later one.
  std::atomic<int64_t> tick{0};
  UserEventClock clock([&tick] {
    int64_t t = tick.fetch_add(1, std::memory_order_relaxed);
    return kWall + (t % 7 == 0 ? -50 : t % 100);
  });
  std::atomic<bool> stop{false};
  std::thread chain([&] {
    for (int64_t t = kWall; t < kWall + 2000 && !stop; t += 3) clock.ObserveChainTime(t);
  });
  std::vector<std::thread> readers;
  std::vector<std::vector<int64_t>> seen(4);
  for (size_t i = 0; i < seen.size(); ++i) {
    readers.emplace_back([&, i] {
      for (int n = 0; n < 5000; ++n) seen[i].push_back(clock.Now());
    });
  }
  for (auto& r : readers) r.join();
  stop = true;
  chain.join();
  const int64_t after = clock.Now();
  for (const auto& readings : seen) {
    for (size_t n = 1; n < readings.size(); ++n) ASSERT_LE(readings[n - 1], readings[n]);
    EXPECT_LE(readings.back(), after);
  }
}

TEST(UserEventClockTest, TheTickerAndTheHandlersShareOneClock) {
  testing::FakeLog log;
  int64_t wall = kWall;
  UserEventClock clock([&wall] { return wall; });
  NowFn stamp = clock.AsNowFn();
  UserClockTicker ticker(log, "u", 2, "w", std::chrono::hours(1), clock.AsNowFn());
  clock.ObserveChainTime(kWall + 3600);
  ASSERT_TRUE(ticker.TickOnce().ok());
  auto ticks = log.ReadAll("u");
  ASSERT_EQ(ticks.size(), 2u);
  chainflow::v1::Envelope tick;
  ASSERT_TRUE(tick.ParseFromString(ticks.back().value));
  EXPECT_EQ(tick.user_clock().time(), static_cast<uint64_t>(kWall + 3600));
  // A received_at taken after the tick is not below it, whatever the wall.
  wall = kWall - 10;
  EXPECT_GE(stamp(), kWall + 3600);
}

// A source that answers what the test tells it.
struct FakeSource {
  core::Result<std::optional<int64_t>> answer = std::optional<int64_t>();
  int calls = 0;
  ChainTimeFn Fn() {
    return [this] {
      ++calls;
      return answer;
    };
  }
};

TEST(ChainTimeFeedTest, ObservesTheNewestTimeOfEverySource) {
  UserEventClock clock([] { return kWall; });
  FakeSource a, b;
  ChainTimeFeed feed(clock, {{"a", a.Fn()}, {"b", b.Fn()}}, std::chrono::hours(1));
  feed.RefreshOnce();  // neither has ingested a block yet
  EXPECT_EQ(clock.chain_time(), 0);
  EXPECT_EQ(clock.Now(), kWall);
  a.answer = std::optional<int64_t>(kWall + 10);
  b.answer = std::optional<int64_t>(kWall + 7200);
  feed.RefreshOnce();
  EXPECT_EQ(clock.chain_time(), kWall + 7200);
  EXPECT_EQ(clock.Now(), kWall + 7200);
}

TEST(ChainTimeFeedTest, AFailingSourceKeepsTheTimeItHad) {
  UserEventClock clock([] { return kWall; });
  FakeSource a;
  ChainTimeFeed feed(clock, {{"a", a.Fn()}}, std::chrono::hours(1));
  a.answer = std::optional<int64_t>(kWall + 600);
  feed.RefreshOnce();
  a.answer = core::UnavailableError("broker down");
  feed.RefreshOnce();
  feed.RefreshOnce();
  EXPECT_EQ(clock.Now(), kWall + 600);
  a.answer = std::optional<int64_t>(kWall + 900);  // recovers
  feed.RefreshOnce();
  EXPECT_EQ(clock.Now(), kWall + 900);
}

TEST(ChainTimeFeedTest, StartRefreshesBeforeReturningAndStopsPromptly) {
  UserEventClock clock([] { return kWall; });
  FakeSource a;
  a.answer = std::optional<int64_t>(kWall + 86'400);
  ChainTimeFeed feed(clock, {{"a", a.Fn()}}, std::chrono::hours(1));
  feed.Start();
  EXPECT_EQ(clock.Now(), kWall + 86'400);  // the first tick already follows the chain
  feed.Stop();                              // does not wait for the hour
  feed.Stop();
  EXPECT_EQ(a.calls, 1);
}

}  // namespace
}  // namespace chainflow::api::handlers
