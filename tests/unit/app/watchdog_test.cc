#include <chrono>

#include <gtest/gtest.h>

#include "app/processor_role.h"

namespace chainflow::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Only the steps that are one call into librdkafka count, only from the
// limit on, and a limit of 0 never gives up.
TEST(WatchdogTest, OnlyABrokerCallPastTheLimitIsStuck) {
  const milliseconds limit(900'000);
  for (const char* step : {"offsets", "transaction", "changelog", "abort"}) {
    EXPECT_TRUE(ProcessorRole::StepOverLimit(step, seconds(900), limit)) << step;
    EXPECT_TRUE(ProcessorRole::StepOverLimit(step, seconds(3600), limit)) << step;
    EXPECT_FALSE(ProcessorRole::StepOverLimit(step, seconds(899), limit)) << step;
    EXPECT_FALSE(ProcessorRole::StepOverLimit(step, seconds(3600), milliseconds(0))) << step;
  }
  // A restore may rightly take hours; a poll returns by its timeout; a
  // backoff is a wait on purpose; apply and store are local work.
  for (const char* step : {"poll", "recover", "open tasks", "backoff", "apply", "store",
                           "markers"}) {
    EXPECT_FALSE(ProcessorRole::StepOverLimit(step, seconds(86'400), limit)) << step;
  }
  EXPECT_FALSE(ProcessorRole::StepOverLimit(nullptr, seconds(86'400), limit));
}

}  // namespace
}  // namespace chainflow::app
