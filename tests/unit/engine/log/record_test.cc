#include "engine/log/record.h"

#include <gtest/gtest.h>

#include "engine/log/internal/murmur2.h"

namespace chainflow::engine::log {
namespace {

// The Java client's UtilsTest.testMurmur2 vectors.
TEST(Murmur2Test, MatchesJavaClientVectors) {
  EXPECT_EQ(internal::KafkaMurmur2("21"), -973932308);
  EXPECT_EQ(internal::KafkaMurmur2("foobar"), -790332482);
  EXPECT_EQ(internal::KafkaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(internal::KafkaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(internal::KafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(internal::KafkaMurmur2("abc"), 479470107);
}

TEST(PartitionForKeyTest, IsToPositiveMurmur2ModuloCount) {
  for (std::string_view key : {"21", "foobar", "abc", "", "anvil:0xabc:42"}) {
    const int32_t hash = internal::KafkaMurmur2(key);
    for (int32_t count : {1, 3, 7, 12, 64}) {
      EXPECT_EQ(PartitionForKey(key, count).value(), (hash & 0x7fffffff) % count)
          << key << " " << count;
    }
  }
  // Fixed points other Kafka clients agree on.
  EXPECT_EQ(PartitionForKey("21", 3).value(), (-973932308 & 0x7fffffff) % 3);
  EXPECT_EQ(PartitionForKey("foobar", 1).value(), 0);
}

TEST(PartitionForKeyTest, HandlesBytesAbove127) {
  // Tail bytes must be read unsigned, as Java masks them with 0xff.
  const std::string key("\xff\xfe\x80", 3);
  const int32_t p = PartitionForKey(key, 1000).value();
  EXPECT_GE(p, 0);
  EXPECT_LT(p, 1000);
  EXPECT_EQ(PartitionForKey(key, 1000).value(), p);
}

TEST(RecordTest, FindHeaderReturnsFirstMatch) {
  Record record;
  record.headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  ASSERT_NE(record.FindHeader("a"), nullptr);
  EXPECT_EQ(*record.FindHeader("a"), "1");
  EXPECT_EQ(*record.FindHeader("b"), "2");
  EXPECT_EQ(record.FindHeader("c"), nullptr);
}

}  // namespace
}  // namespace chainflow::engine::log
