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
  NetAmount big{true, U256(1) << 200};
  EXPECT_EQ(DecodeSigned(EncodeSigned(big)).value(), big);
  EXPECT_FALSE(DecodeSigned(std::string(32, '\0')).has_value());
  FutureSummary summary{big, 2, 3600, 1, 7};
  std::string bytes = EncodeFutureSummary(summary);
  EXPECT_EQ(bytes.size(), 65u);
  EXPECT_EQ(DecodeFutureSummary(bytes).value(), summary);
  EXPECT_FALSE(DecodeFutureSummary(bytes.substr(1)).has_value());
  EXPECT_FALSE(DecodeFutureSummary(EncodeFutureSummary({})).has_value());  // no entry
  QueuedIntent queued{5, std::string(32, 'a')};
  std::string key = QueueEntryKey(QueuePrefix(3600), queued);
  EXPECT_EQ(key.size(), 13u + 40u);
  EXPECT_EQ(DecodeQueueEntry(std::string_view(key).substr(13)).value(), queued);
  EXPECT_FALSE(DecodeQueueEntry("short").has_value());
}

TEST(IntentsStateLayoutTest, EntryKeysSortLikeTheirQueues) {
  // Queues: (submitted_at, intent_id); future deltas: (time, sequence).
  EXPECT_LT(QueueEntryKey(QueuePrefix(1), {0xff, std::string(32, 'f')}),
            QueueEntryKey(QueuePrefix(1), {0x100, std::string(32, '0')}));
  EXPECT_LT(QueueEntryKey(QueuePrefix(1), {7, std::string(32, 'a')}),
            QueueEntryKey(QueuePrefix(1), {7, std::string(32, 'b')}));
  const std::string prefix = FuturePrefix("mainnet", core::Address(), core::Address());
  EXPECT_LT(FutureKey(prefix, 0xff, 9), FutureKey(prefix, 0x100, 0));
  EXPECT_LT(FutureKey(prefix, 5, 1), FutureKey(prefix, 5, 2));
  EXPECT_LT(BurnQueueKey(10, 0xff), BurnQueueKey(10, 0x100));
  // The summary is not under the entries' prefix.
  EXPECT_NE(FutureSummaryKey("mainnet", core::Address(), core::Address()).rfind(prefix, 0), 0u);
}

TEST(IntentsStateLayoutTest, TaskLocalKeysAreRuntimeKeysAndEntityKeysAreNot) {
  // '\0' first: the state digest leaves them out (they depend on partitioning).
  EXPECT_EQ(WatermarkKey()[0], '\0');
  EXPECT_EQ(TimerKey()[0], '\0');
  EXPECT_EQ(QueuePrefix(3600)[0], '\0');
  EXPECT_EQ(SettlementPrefix(3600)[0], '\0');
  EXPECT_EQ(BurnQueuePrefix(3600)[0], '\0');
  EXPECT_EQ(BurnSequenceKey()[0], '\0');
  EXPECT_EQ(FuturePrefix("mainnet", core::Address(), core::Address())[0], '\0');
  EXPECT_EQ(FutureSummaryKey("mainnet", core::Address(), core::Address())[0], '\0');
  EXPECT_EQ(IntentKey("ab"), "i/ab");
  std::string key = AccountKey("mainnet", core::Address(), core::Address());
  EXPECT_EQ(key.substr(0, 10), "b/mainnet/");
  EXPECT_EQ(key.size(), 10u + 40u);
}

}  // namespace
}  // namespace chainflow::engine::processors::intents
