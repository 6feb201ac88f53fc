// HeadClock: when a polled chain's next block is expected.
#include "ingest/evm/head_clock.h"

#include <gtest/gtest.h>

namespace chainflow::ingest::evm {
namespace {

using namespace std::chrono_literals;
using Time = HeadClock::Clock::time_point;

const Time kT0 = Time() + 1000s;

// Headers first..last, `seconds` apart.
void Headers(HeadClock& clock, uint64_t first, uint64_t last, int64_t seconds) {
  for (uint64_t n = first; n <= last; ++n) {
    clock.ObserveHeader(n, 1'700'000'000 + static_cast<int64_t>(n) * seconds);
  }
}

TEST(HeadClockTest, NoWindowUntilTheIntervalIsKnown) {
  HeadClock clock(10ms);
  clock.ObserveHead(100, kT0);
  EXPECT_FALSE(clock.Next(kT0));  // no headers
  Headers(clock, 97, 99, 1);      // two differences: too few
  EXPECT_EQ(clock.interval(), 0ms);
  EXPECT_FALSE(clock.Next(kT0));
  Headers(clock, 100, 100, 1);
  EXPECT_EQ(clock.interval(), 1000ms);
  EXPECT_TRUE(clock.Next(kT0));
}

TEST(HeadClockTest, TheFirstWindowSpansAnIntervalThenNarrowsToTheProbes) {
  HeadClock clock(10ms);
  Headers(clock, 1, 10, 1);
  clock.ObserveHead(10, kT0);
  // Block 10 arrived at most an interval before kT0: block 11 is somewhere
  // in the next second (margin 50 ms: 1 s / 20).
  auto first = clock.Next(kT0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->start, kT0 - 50ms);
  EXPECT_EQ(first->end, kT0 + 1050ms);
  // Probes every 10 ms; block 11 is first seen at +430 ms.
  clock.ObserveHead(10, kT0 + 420ms);
  clock.ObserveHead(11, kT0 + 430ms);
  auto next = clock.Next(kT0 + 440ms);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->start, kT0 + 430ms - 10ms + 1000ms - 50ms);
  EXPECT_EQ(next->end, kT0 + 430ms + 1000ms + 50ms);
}

TEST(HeadClockTest, AMissedBlockMovesTheWindowOnThenThereIsNone) {
  HeadClock clock(10ms);
  Headers(clock, 1, 10, 2);
  clock.ObserveHead(9, kT0 - 10ms);
  clock.ObserveHead(10, kT0);
  const Time kFirstEnd = kT0 + 2000ms + 100ms;
  EXPECT_EQ(clock.Next(kT0)->end, kFirstEnd);
  // Past the first window: the slot after it, and the one after that.
  EXPECT_EQ(clock.Next(kFirstEnd)->end, kFirstEnd + 2000ms);
  EXPECT_EQ(clock.Next(kFirstEnd + 2000ms)->end, kFirstEnd + 4000ms);
  EXPECT_FALSE(clock.Next(kFirstEnd + 4000ms)) << "a stalled chain is polled, not probed";
  // A head seen again re-arms it.
  clock.ObserveHead(11, kT0 + 9s);
  ASSERT_TRUE(clock.Next(kT0 + 9s));
  EXPECT_EQ(clock.Next(kT0 + 9s)->end, kT0 + 11s + 100ms);
}

TEST(HeadClockTest, TheMarginIsATwentiethOfTheIntervalWithinTwoProbesAnd250Ms) {
  HeadClock slow(10ms);
  Headers(slow, 1, 10, 12);
  slow.ObserveHead(9, kT0 - 10ms);
  slow.ObserveHead(10, kT0);
  EXPECT_EQ(slow.Next(kT0)->end, kT0 + 12s + 250ms);

  HeadClock coarse(40ms);  // 1 s / 20 = 50 ms, under two 40 ms probes
  Headers(coarse, 1, 10, 1);
  coarse.ObserveHead(9, kT0 - 40ms);
  coarse.ObserveHead(10, kT0);
  EXPECT_EQ(coarse.Next(kT0)->end, kT0 + 1s + 80ms);
}

TEST(HeadClockTest, ChainsFasterThanFourProbesOrWithStillTimestampsArePolled) {
  HeadClock sub_second(10ms);
  // Several blocks a second share a timestamp: the median difference is 0.
  for (uint64_t n = 1; n <= 12; ++n) sub_second.ObserveHeader(n, 1'700'000'000 + n / 4);
  sub_second.ObserveHead(12, kT0);
  EXPECT_EQ(sub_second.interval(), 0ms);
  EXPECT_FALSE(sub_second.Next(kT0));

  HeadClock slow_probe(300ms);  // a 1 s chain is under four 300 ms probes
  Headers(slow_probe, 1, 10, 1);
  slow_probe.ObserveHead(10, kT0);
  EXPECT_FALSE(slow_probe.Next(kT0));
}

TEST(HeadClockTest, TheIntervalIsTheMedianAndAReorgStartsOverFromItsBlock) {
  HeadClock clock(10ms);
  // 12 s slots with one missed (24 s): the median stays 12.
  int64_t t = 1'700'000'000;
  for (uint64_t n = 1; n <= 8; ++n) {
    t += n == 5 ? 24 : 12;
    clock.ObserveHeader(n, t);
  }
  EXPECT_EQ(clock.interval(), 12s);
  // Blocks 6..8 replaced by a branch 2 s apart: they replace the old ones'
  // differences, and a gap in the numbers is no difference.
  int64_t t5 = 1'700'000'000 + 4 * 12 + 24;
  for (uint64_t n = 6; n <= 8; ++n) clock.ObserveHeader(n, t5 + int64_t(n - 5) * 2);
  EXPECT_EQ(clock.interval(), 12s);  // 12, 12, 12, 24, 2, 2, 2
  clock.ObserveHeader(20, t5 + 100);
  for (uint64_t n = 21; n <= 24; ++n) clock.ObserveHeader(n, t5 + 100 + int64_t(n - 20) * 2);
  EXPECT_EQ(clock.interval(), 2s);   // and four more 2s
}

TEST(HeadClockTest, ALowerHeadThenTheHigherOneAgainIsNoArrival) {
  HeadClock clock(10ms);
  Headers(clock, 1, 10, 1);
  clock.ObserveHead(9, kT0 - 10ms);
  clock.ObserveHead(10, kT0);
  auto expected = clock.Next(kT0);
  // A lagging backend answers 9, the next read 10 again: still block 11's
  // window from block 10's arrival.
  clock.ObserveHead(9, kT0 + 300ms);
  clock.ObserveHead(10, kT0 + 310ms);
  ASSERT_TRUE(clock.Next(kT0 + 310ms));
  EXPECT_EQ(clock.Next(kT0 + 310ms)->start, expected->start);
  EXPECT_EQ(clock.Next(kT0 + 310ms)->end, expected->end);
}

// Blocks 12 s apart that arrive 0.5-3.5 s late, by a varying amount (a
// provider), at `late(n)` after their slot: inside the first windows or not.
TEST(HeadClockTest, WindowsThatKeepMissingRestThenTryAgain) {
  HeadClock clock(20ms);
  Headers(clock, 1, 10, 12);
  clock.ObserveHead(10, kT0 - 20ms);  // block 10 seen at once, by a probe's poll
  clock.ObserveHead(10, kT0 - 40ms);
  Time arrival = kT0;
  clock.ObserveHead(10, arrival);
  auto late = [](uint64_t n) { return std::chrono::milliseconds(500 + 1000 * (n % 4)); };
  uint64_t n = 11;
  // Every arrival lands outside the windows (the margin is 250 ms): after
  // kJudged of them the clock rests.
  for (; !clock.resting() && n < 40; ++n) {
    ASSERT_TRUE(clock.Next(arrival)) << "block " << n;
    const Time slot = kT0 + std::chrono::seconds(12 * (n - 10));
    clock.ObserveHeader(n, 1'700'000'000 + static_cast<int64_t>(n) * 12);
    clock.ObserveHead(n - 1, slot + late(n) - 1000ms);  // the poll before
    arrival = slot + late(n);
    clock.ObserveHead(n, arrival);
  }
  EXPECT_EQ(n, 11 + HeadClock::kJudged);
  EXPECT_EQ(clock.rests(), 1u);
  EXPECT_FALSE(clock.Next(arrival)) << "no window while it rests";
  // kRestBlocks later the windows are back, and punctual blocks keep them.
  const uint64_t back = n - 1 + HeadClock::kRestBlocks;
  for (; n <= back; ++n) {
    clock.ObserveHeader(n, 1'700'000'000 + static_cast<int64_t>(n) * 12);
    arrival = kT0 + std::chrono::seconds(12 * (n - 10));
    clock.ObserveHead(n, arrival);
    if (n < back) {
      EXPECT_FALSE(clock.Next(arrival)) << "block " << n;
    }
  }
  ASSERT_TRUE(clock.Next(arrival));
  for (int i = 0; i < 20; ++i, ++n) {
    auto window = clock.Next(arrival);
    ASSERT_TRUE(window) << "block " << n;
    clock.ObserveHeader(n, 1'700'000'000 + static_cast<int64_t>(n) * 12);
    clock.ObserveHead(n - 1, window->start);
    arrival = window->start + 40ms;  // inside
    clock.ObserveHead(n, arrival);
  }
  EXPECT_EQ(clock.rests(), 1u);
  EXPECT_FALSE(clock.resting());
}

}  // namespace
}  // namespace chainflow::ingest::evm
