#include "ingest/common/position.h"

#include <gtest/gtest.h>

namespace chainflow::ingest::common {
namespace {

TEST(PositionTest, RoundTripsAndOrders) {
  Position p{12253142, 7, 3};
  EXPECT_EQ(p.ToString(), "12253142:7:3");
  EXPECT_EQ(Position::Parse("12253142:7:3").value(), p);
  EXPECT_EQ(Position::BlockEnd(5).ToString(), "5:4294967295:0");
  EXPECT_LT(Position({5, 9, 0}), Position::BlockEnd(5));
  EXPECT_LT(Position::BlockEnd(5), Position({6, 0, 0}));
  EXPECT_LT(Position({5, 1, 0}), Position({5, 1, 1}));
}

TEST(PositionTest, RejectsMalformedText) {
  for (const char* bad : {"", "1:2", "1:2:3:4", "a:2:3", "1::3", "-1:2:3", "1:4294967296:0"}) {
    EXPECT_EQ(Position::Parse(bad).error().code(), core::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace chainflow::ingest::common
