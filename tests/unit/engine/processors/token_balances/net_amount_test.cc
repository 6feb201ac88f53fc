#include "engine/processors/common/net_amount.h"

#include <gtest/gtest.h>

#include "engine/processors/token_balances/state_layout.h"

namespace chainflow::engine::processors::token_balances {
namespace {

using core::U256;

TEST(NetAmountTest, CrossesZeroBothWays) {
  NetAmount n;
  n = Debit(n, 7).value();
  EXPECT_TRUE(n.negative);
  EXPECT_EQ(n.magnitude, 7);
  EXPECT_EQ(n.Clamped(), 0);
  n = Credit(n, 10).value();
  EXPECT_FALSE(n.negative);
  EXPECT_EQ(n.magnitude, 3);
  n = Debit(n, 3).value();
  EXPECT_EQ(n, NetAmount{});  // zero has one form: never "negative zero"
}

TEST(NetAmountTest, MagnitudeOverflowIsOutOfRange) {
  const U256 max = std::numeric_limits<U256>::max();
  NetAmount n = Credit({}, max).value();
  auto over = Credit(n, 1);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code(), core::StatusCode::kOutOfRange);
  EXPECT_FALSE(Debit(Debit({}, max).value(), 1).has_value());
  EXPECT_EQ(Debit(n, max).value(), NetAmount{});
}

TEST(StateLayoutTest, AmountRecordBytes) {
  AmountRecord r{{true, U256(0x0102)}, 0x0a0b};
  std::string bytes = EncodeAmountRecord(r);
  ASSERT_EQ(bytes.size(), kAmountRecordSize);
  EXPECT_EQ(bytes[0], 1);   // version
  EXPECT_EQ(bytes[1], 1);   // negative
  EXPECT_EQ(bytes[32], 1);  // magnitude, big-endian
  EXPECT_EQ(bytes[33], 2);
  EXPECT_EQ(bytes[40], 0x0a);  // block, big-endian
  EXPECT_EQ(bytes[41], 0x0b);
  EXPECT_EQ(DecodeAmountRecord(bytes).value(), r);
  bytes[1] = 2;
  EXPECT_EQ(DecodeAmountRecord(bytes).error().code(), core::StatusCode::kDataLoss);
  EXPECT_FALSE(DecodeAmountRecord(EncodeAmountRecord({{true, 0}, 1})).has_value());
}

TEST(StateLayoutTest, KeysSortByTokenThenAccount) {
  core::Address token = core::Address::FromHex("0x" + std::string(38, '0') + "70").value();
  core::Address a = core::Address::FromHex("0x" + std::string(38, '0') + "01").value();
  core::Address b = core::Address::FromHex("0x" + std::string(38, '0') + "02").value();
  EXPECT_LT(BalanceKey("mainnet", token, a), BalanceKey("mainnet", token, b));
  EXPECT_EQ(BalanceKey("mainnet", token, a).substr(0, 10), "a/mainnet/");
  EXPECT_EQ(SupplyKey("mainnet", token).size(), 10u + 20u);
  EXPECT_EQ(HeadKey("base"), "h/base");
}

}  // namespace
}  // namespace chainflow::engine::processors::token_balances
