#include "engine/log/cloud_events.h"

#include <ctime>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace chainflow::engine::log {
namespace {

std::string Gmtime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  // strftime's %Y does not pad years below 1000.
  std::string out = buf;
  return std::string(4 - std::min<size_t>(4, out.find('-')), '0') + out;
}

TEST(FormatRfc3339Test, FormatsUtc) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1618574400), "2021-04-16T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(951782400), "2000-02-29T00:00:00Z");   // leap day
  EXPECT_EQ(FormatRfc3339(4107542399), "2100-02-28T23:59:59Z");  // 2100 is no leap year
  EXPECT_EQ(FormatRfc3339(1438269988), "2015-07-30T15:26:28Z");  // Ethereum genesis
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
}

TEST(FormatRfc3339Test, AgreesWithGmtimeOnRandomSeconds) {
  std::mt19937_64 rng(42);
  // Year 0 to 9999, both ends included.
  std::uniform_int_distribution<int64_t> seconds(-62167219200, 253402300799);
  for (int64_t s : {int64_t{-62167219200}, int64_t{253402300799}}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(FormatRfc3339(s), Gmtime(s));
  }
  for (int i = 0; i < 20000; ++i) {
    int64_t s = seconds(rng);
    SCOPED_TRACE(s);
    ASSERT_EQ(FormatRfc3339(s), Gmtime(s));
  }
}

TEST(CloudEventHeadersTest, BinaryModeHeaders) {
  CloudEvent event{.id = "cf.anvil.events/0/17/0",
                   .source = "chainflow/ingest/anvil",
                   .type = "chainflow.nft.OwnerChanged",
                   .time_seconds = 1618574400};
  Record record;
  record.headers = CloudEventHeaders(event);
  ASSERT_EQ(record.headers.size(), 6u);
  EXPECT_EQ(*record.FindHeader("ce_specversion"), "1.0");
  EXPECT_EQ(*record.FindHeader("ce_id"), "cf.anvil.events/0/17/0");
  EXPECT_EQ(*record.FindHeader("ce_source"), "chainflow/ingest/anvil");
  EXPECT_EQ(*record.FindHeader("ce_type"), "chainflow.nft.OwnerChanged");
  EXPECT_EQ(*record.FindHeader("ce_time"), "2021-04-16T12:00:00Z");
  EXPECT_EQ(*record.FindHeader("content-type"), "application/protobuf");
  // In the order CloudEventHeader names (writers rewrite values in place).
  const std::vector<std::pair<CloudEventHeader, std::string>> order = {
      {kCeSpecVersion, "ce_specversion"}, {kCeId, "ce_id"},     {kCeSource, "ce_source"},
      {kCeType, "ce_type"},               {kCeTime, "ce_time"}, {kCeContentType, "content-type"}};
  for (const auto& [index, key] : order) EXPECT_EQ(record.headers[index].key, key);
}

}  // namespace
}  // namespace chainflow::engine::log
