#include "ingest/common/position.h"

#include <gtest/gtest.h>

namespace chainflow::ingest::common {
namespace {

TEST(PositionTest, RoundTripsAndOrders) {
  Position p{0, 12253142, 7, 3};
  EXPECT_EQ(p.ToString(), "12253142:7:3");
  EXPECT_EQ(Position::Parse("12253142:7:3").value(), p);
  EXPECT_EQ(Position::BlockEnd(0, 5).ToString(), "5:4294967295:0");
  EXPECT_LT(Position({0, 5, 9, 0}), Position::BlockEnd(0, 5));
  EXPECT_LT(Position::BlockEnd(0, 5), Position({0, 6, 0, 0}));
  EXPECT_LT(Position({0, 5, 1, 0}), Position({0, 5, 1, 1}));
}

TEST(PositionTest, LaterForksSortAfterEverythingEarlier) {
  Position reverted = Position::Reverted(2, 100, 0);
  EXPECT_EQ(reverted.ToString(), "2/100:4294967294:0");
  EXPECT_EQ(Position::Parse("2/100:4294967294:0").value(), reverted);
  EXPECT_TRUE(reverted.IsReverted());
  EXPECT_FALSE(reverted.IsBlockEnd());
  // A reorg to ancestor 100 after block 105 of fork 1: its markers, newest
  // reverted block first, then the new branch, all after fork 1's records.
  EXPECT_LT(Position::BlockEnd(1, 105), reverted);
  EXPECT_LT(reverted, Position::Reverted(2, 100, 1));
  EXPECT_LT(Position::Reverted(2, 100, 4), Position({2, 101, 0, 0}));
  EXPECT_LT(Position::BlockEnd(0, 1'000'000), Position({1, 1, 0, 0}));
}

TEST(PositionTest, RejectsMalformedText) {
  for (const char* bad : {"", "1:2", "1:2:3:4", "a:2:3", "1::3", "-1:2:3", "1:4294967296:0",
                          "0/1:2:3", "x/1:2:3", "/1:2:3", "1/2/3:4:5"}) {
    EXPECT_EQ(Position::Parse(bad).error().code(), core::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace chainflow::ingest::common
