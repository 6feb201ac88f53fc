#include "engine/log/cloud_events.h"

#include <gtest/gtest.h>

namespace chainflow::engine::log {
namespace {

TEST(FormatRfc3339Test, FormatsUtc) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1618574400), "2021-04-16T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(951782400), "2000-02-29T00:00:00Z");   // leap day
  EXPECT_EQ(FormatRfc3339(4107542399), "2100-02-28T23:59:59Z");  // 2100 is no leap year
  EXPECT_EQ(FormatRfc3339(1438269988), "2015-07-30T15:26:28Z");  // Ethereum genesis
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
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
}

}  // namespace
}  // namespace chainflow::engine::log
