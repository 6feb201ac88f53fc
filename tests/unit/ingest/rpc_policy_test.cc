#include "ingest/evm/rpc_policy.h"

#include <gtest/gtest.h>

#include "tests/unit/ingest/rpc_fakes.h"

namespace chainflow::ingest::evm {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, CeilingDoublesUpToTheMaximum) {
  Backoff backoff(milliseconds(100), milliseconds(1000), 1);
  EXPECT_EQ(backoff.Ceiling(0), milliseconds(100));
  EXPECT_EQ(backoff.Ceiling(1), milliseconds(200));
  EXPECT_EQ(backoff.Ceiling(3), milliseconds(800));
  EXPECT_EQ(backoff.Ceiling(4), milliseconds(1000));
  EXPECT_EQ(backoff.Ceiling(1000), milliseconds(1000));  // no overflow
}

TEST(BackoffTest, FullJitterStaysUnderTheCeilingAndSpreads) {
  Backoff backoff(milliseconds(100), milliseconds(10'000), 7);
  for (int n = 0; n < 8; ++n) {
    milliseconds low = backoff.Ceiling(n), high{0};
    for (int i = 0; i < 500; ++i) {
      milliseconds d = backoff.Delay(n);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d, backoff.Ceiling(n));
      low = std::min(low, d);
      high = std::max(high, d);
    }
    // Uniform over [0, ceiling]: 500 draws cover most of it.
    EXPECT_LT(low, backoff.Ceiling(n) / 10) << n;
    EXPECT_GT(high, backoff.Ceiling(n) * 9 / 10) << n;
  }
}

TEST(BackoffTest, SameSeedSameDelays) {
  Backoff a(milliseconds(50), milliseconds(5000), 99), b(milliseconds(50), milliseconds(5000), 99);
  for (int n = 0; n < 10; ++n) EXPECT_EQ(a.Delay(n), b.Delay(n));
}

TEST(RetryAfterTest, ParsesDelaySecondsOnly) {
  EXPECT_EQ(ParseRetryAfter("7"), milliseconds(7000));
  EXPECT_EQ(ParseRetryAfter(" 0 "), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-3"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("99999999999"), milliseconds(86'400'000));  // clamped
}

TEST(TokenBucketTest, UnlimitedNeverSleeps) {
  testing::FakeClock clock;
  TokenBucket bucket(0, 0, clock);
  for (int i = 0; i < 1000; ++i) bucket.Acquire(50);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(TokenBucketTest, BurstThenSteadyRate) {
  testing::FakeClock clock;
  TokenBucket bucket(4, 4, clock);
  auto start = clock.now;
  for (int i = 0; i < 4; ++i) bucket.Acquire(1);
  EXPECT_EQ(clock.now, start);  // the burst
  for (int i = 0; i < 8; ++i) bucket.Acquire(1);
  EXPECT_NEAR(std::chrono::duration<double>(clock.now - start).count(), 2.0, 1e-6);
}

TEST(TokenBucketTest, IdleTimeRefillsOnlyUpToTheBurst) {
  testing::FakeClock clock;
  TokenBucket bucket(2, 2, clock);
  clock.now += std::chrono::hours(1);
  auto start = clock.now;
  for (int i = 0; i < 6; ++i) bucket.Acquire(1);
  EXPECT_NEAR(std::chrono::duration<double>(clock.now - start).count(), 2.0, 1e-6);
}

TEST(TokenBucketTest, ABatchLargerThanTheBurstGoesIntoDebt) {
  testing::FakeClock clock;
  TokenBucket bucket(10, 10, clock);
  auto start = clock.now;
  bucket.Acquire(50);  // allowed at once (the bucket is full) but owes 40 tokens
  EXPECT_EQ(clock.now, start);
  bucket.Acquire(1);  // waits for the debt: 41 tokens at 10/s
  EXPECT_NEAR(std::chrono::duration<double>(clock.now - start).count(), 4.1, 1e-6);
}

}  // namespace
}  // namespace chainflow::ingest::evm
