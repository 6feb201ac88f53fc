// EventClock (watermark = min over declared sources) and IntervalTimer
// (deadlines fired once, in order, however far the watermark jumps).
#include "engine/runtime/event_clock.h"

#include <map>

#include <gtest/gtest.h>

#include "tests/support/map_state.h"

namespace chainflow::engine::runtime {
namespace {

using tests::MapState;

TEST(EventClockTest, WatermarkIsTheMinimumOverEverySourceAndNeverMovesBack) {
  EventClock clock("w/", {"a", "b", "user"});
  MapState state;
  EXPECT_EQ(clock.Advance("a", 100, state).value(), 0u);  // b and user not heard from
  EXPECT_EQ(clock.Advance("b", 50, state).value(), 0u);
  EXPECT_EQ(clock.Advance("user", 70, state).value(), 50u);
  EXPECT_EQ(clock.Advance("b", 200, state).value(), 70u);
  EXPECT_EQ(clock.Advance("b", 10, state).value(), 70u);  // a source's time is a max
  EXPECT_EQ(clock.SourceTime("b", state).value(), 200u);
  EXPECT_EQ(clock.Advance("user", 500, state).value(), 100u);
  EXPECT_EQ(clock.Watermark(state).value(), 100u);
  auto unknown = clock.Advance("c", 1, state);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.entries.size(), 3u);  // "w/a", "w/b", "w/user"
}

TEST(EventClockTest, TheWatermarkDoesNotDependOnHowSourcesInterleave) {
  EventClock clock("w/", {"a", "b"});
  MapState one, two;
  for (uint64_t t : {10, 20, 30}) ASSERT_TRUE(clock.Advance("a", t, one).has_value());
  for (uint64_t t : {5, 25}) ASSERT_TRUE(clock.Advance("b", t, one).has_value());
  ASSERT_TRUE(clock.Advance("b", 5, two).has_value());
  ASSERT_TRUE(clock.Advance("a", 10, two).has_value());
  ASSERT_TRUE(clock.Advance("b", 25, two).has_value());
  ASSERT_TRUE(clock.Advance("a", 20, two).has_value());
  ASSERT_TRUE(clock.Advance("a", 30, two).has_value());
  EXPECT_EQ(one.entries, two.entries);
  EXPECT_EQ(clock.Watermark(one).value(), 25u);
}

TEST(IntervalTimerTest, DeadlinesAreTheGridStrictlyAfterATime) {
  IntervalTimer timer("n", 1000, 100);
  EXPECT_EQ(timer.DeadlineAfter(1000), 1100u);  // a deadline is never at its own time
  EXPECT_EQ(timer.DeadlineAfter(1099), 1100u);
  EXPECT_EQ(timer.DeadlineAfter(1100), 1200u);
  EXPECT_EQ(timer.DeadlineAfter(5), 1000u);
  EXPECT_EQ(timer.IndexOf(1099), 0u);
  EXPECT_EQ(timer.IndexOf(1100), 1u);
  MapState state;
  EXPECT_EQ(timer.Arm(1150, state).code(), core::StatusCode::kInvalidArgument);
}

TEST(IntervalTimerTest, FiresEveryDeadlineOnceInOrderFromTheFirstArmed) {
  IntervalTimer timer("n", 0, 10);
  MapState state;
  std::vector<uint64_t> fired;
  auto record = [&](uint64_t d) {
    fired.push_back(d);
    return core::Status::Ok();
  };
  ASSERT_TRUE(timer.FireUpTo(100, state, record).ok());
  EXPECT_TRUE(fired.empty());  // never armed
  ASSERT_TRUE(timer.Arm(30, state).ok());
  ASSERT_TRUE(timer.Arm(50, state).ok());  // later: the next stays 30
  ASSERT_TRUE(timer.Arm(20, state).ok());  // earlier: becomes the next
  EXPECT_EQ(timer.Next(state).value(), 20u);
  ASSERT_TRUE(timer.FireUpTo(19, state, record).ok());
  EXPECT_TRUE(fired.empty());
  ASSERT_TRUE(timer.FireUpTo(45, state, record).ok());  // a jump fires 20, 30, 40
  EXPECT_EQ(fired, (std::vector<uint64_t>{20, 30, 40}));
  ASSERT_TRUE(timer.FireUpTo(45, state, record).ok());  // nothing twice
  EXPECT_EQ(fired.size(), 3u);
  EXPECT_EQ(timer.Next(state).value(), 50u);
  // An error stops the walk; the failing deadline is not marked fired before
  // the caller's batch is rolled back (the runtime drops the record's writes).
  auto fail = [](uint64_t) { return core::UnavailableError("down"); };
  EXPECT_EQ(timer.FireUpTo(80, state, fail).code(), core::StatusCode::kUnavailable);
}

TEST(EventTimeEncodingTest, TimesAreEightBytesBigEndian) {
  EXPECT_EQ(EncodeTime(0x0102), std::string("\0\0\0\0\0\0\x01\x02", 8));
  EXPECT_EQ(DecodeTime(EncodeTime(1'700'000'000)).value(), 1'700'000'000u);
  EXPECT_EQ(DecodeTime("abc").error().code(), core::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace chainflow::engine::runtime
