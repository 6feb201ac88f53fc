// The intents processor's state encodings (README.md "State layout").
#include "engine/processors/intents/state_layout.h"

#include <gtest/gtest.h>

#include "engine/core/hex.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::U256;

TEST(IntentsStateLayoutTest, AccountRecordRoundTripsAndIsFixedSize) {
  AccountRecord r{NetAmount{true, U256(5)}, U256(7)};
  std::string bytes = EncodeAccountRecord(r);
  ASSERT_EQ(bytes.size(), kAccountRecordSize);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[1], 1);  // negative
  EXPECT_EQ(DecodeAccountRecord(bytes).value(), r);
  EXPECT_FALSE(DecodeAccountRecord(bytes.substr(1)).has_value());
  std::string negative_zero = EncodeAccountRecord(AccountRecord{});
  negative_zero[1] = 1;
  EXPECT_EQ(DecodeAccountRecord(negative_zero).error().code(), core::StatusCode::kDataLoss);
}

TEST(IntentsStateLayoutTest, FutureDeltasAndQueuesRoundTrip) {
  std::vector<TimedAmount> future = {{10, NetAmount{false, U256(3)}},
                                     {20, NetAmount{true, U256(1) << 200}}};
  EXPECT_EQ(DecodeFutureDeltas(EncodeFutureDeltas(future)).value(), future);
  EXPECT_FALSE(DecodeFutureDeltas(std::string(40, 'x')).has_value());
  std::vector<QueuedIntent> queue = {{5, std::string(32, 'a')}, {6, std::string(32, 'b')}};
  std::string bytes = EncodeQueue(queue);
  EXPECT_EQ(bytes.size(), 80u);
  EXPECT_EQ(DecodeQueue(bytes).value(), queue);
}

TEST(IntentsStateLayoutTest, TaskLocalKeysAreRuntimeKeysAndEntityKeysAreNot) {
  // '\0' first: the state digest leaves them out (they depend on partitioning).
  EXPECT_EQ(WatermarkKey()[0], '\0');
  EXPECT_EQ(TimerKey()[0], '\0');
  EXPECT_EQ(QueueKey(3600)[0], '\0');
  EXPECT_EQ(FutureKey("mainnet", core::Address(), core::Address())[0], '\0');
  EXPECT_EQ(IntentKey("ab"), "i/ab");
  std::string key = AccountKey("mainnet", core::Address(), core::Address());
  EXPECT_EQ(key.substr(0, 10), "b/mainnet/");
  EXPECT_EQ(key.size(), 10u + 40u);
}

}  // namespace
}  // namespace chainflow::engine::processors::intents
