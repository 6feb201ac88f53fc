// The API's user clock: a tick reaches every partition with the same id and
// time, and the ticker sends one at start and then every interval.
#include "api/handlers/user_clock.h"

#include <gtest/gtest.h>

#include "chainflow/v1/events.pb.h"
#include "tests/support/fake_log.h"

namespace chainflow::api::handlers {
namespace {

TEST(UserClockTest, ATickIsOneRecordPerPartitionWithTheSameIdAndTime) {
  auto records = UserClockRecords("cf.user.events", 3, "api-7", 1'700'000'123);
  ASSERT_EQ(records.size(), 3u);
  for (int32_t p = 0; p < 3; ++p) {
    const auto& r = records[static_cast<size_t>(p)];
    EXPECT_EQ(r.topic, "cf.user.events");
    EXPECT_EQ(r.partition.value(), p);
    EXPECT_EQ(r.key, "clock/api-7");
    EXPECT_EQ(r.timestamp_ms, 1'700'000'123'000);
    chainflow::v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    EXPECT_EQ(env.id(), "clock/api-7/1700000123");
    EXPECT_EQ(env.user_clock().time(), 1'700'000'123u);
    EXPECT_EQ(env.user_clock().writer(), "api-7");
    bool typed = false;
    for (const auto& h : r.headers) {
      typed |= h.key == "ce_type" && h.value == "chainflow.user.UserClock";
    }
    EXPECT_TRUE(typed);
  }
}

TEST(UserClockTest, TickerTicksAtStartAndStopsPromptly) {
  testing::FakeLog log;
  int64_t now = 100;
  UserClockTicker ticker(log, "u", 2, "w", std::chrono::hours(1), [&now] { return now++; });
  ASSERT_TRUE(ticker.TickOnce().ok());
  EXPECT_EQ(log.ReadAll("u").size(), 2u);
  ticker.Start();
  ticker.Stop();  // does not wait for the hour
  // Start sent one more tick (a later time) before waiting.
  auto all = log.ReadAll("u");
  ASSERT_EQ(all.size(), 4u);
  chainflow::v1::Envelope last;
  ASSERT_TRUE(last.ParseFromString(all.back().value));
  EXPECT_EQ(last.user_clock().time(), 101u);
}

}  // namespace
}  // namespace chainflow::api::handlers
