#include "engine/core/address.h"

#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

constexpr char kLower[] = "0x57a204aa1042f5ff6b5a9e9a5e3f3b7b0a1b2c3d";

TEST(AddressTest, FromHexAnyCaseRendersLowercase) {
  auto lower = Address::FromHex(kLower);
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower.value().ToHex(), kLower);
  auto mixed = Address::FromHex("0x57A204AA1042f5ff6b5a9e9a5e3f3b7b0A1B2C3D");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed.value(), lower.value());
  auto bare = Address::FromHex("57a204aa1042f5ff6b5a9e9a5e3f3b7b0a1b2c3d");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare.value(), lower.value());
  auto upper_prefix = Address::FromHex("0X57a204aa1042f5ff6b5a9e9a5e3f3b7b0a1b2c3d");
  ASSERT_TRUE(upper_prefix);
}

TEST(AddressTest, FromHexRejectsWrongLengthAndBadDigits) {
  for (std::string bad : {std::string("0x"), std::string("0x1234"),
                          std::string(kLower) + "00", std::string(kLower).substr(0, 41),
                          std::string("0x57a204aa1042f5ff6b5a9e9a5e3f3b7b0a1b2c3g")}) {
    auto a = Address::FromHex(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code(), StatusCode::kInvalidArgument) << bad;
  }
  // A second prefix is not hex: "0x0x" + 38 digits is 40 characters after
  // the first prefix but only 19 bytes.
  EXPECT_FALSE(Address::FromHex("0x0x" + std::string(38, 'a')));
}

TEST(AddressTest, BytesRoundTripAndZero) {
  Address zero;
  EXPECT_TRUE(zero.IsZero());
  EXPECT_EQ(zero.ToHex(), "0x" + std::string(40, '0'));
  Address a = Address::FromHex(kLower).value();
  EXPECT_FALSE(a.IsZero());
  std::string bytes = a.ToBytes();
  ASSERT_EQ(bytes.size(), 20u);
  EXPECT_EQ(Address::FromBytes(bytes).value(), a);
  EXPECT_FALSE(Address::FromBytes(bytes.substr(1)));
  EXPECT_FALSE(Address::FromBytes(bytes + "x"));
  EXPECT_LT(zero, a);
}

TEST(AddressTest, FromWord) {
  Address a = Address::FromHex(kLower).value();
  std::string word = std::string(12, '\0') + a.ToBytes();
  EXPECT_EQ(Address::FromWord(word).value(), a);
  std::string dirty = word;
  dirty[0] = 1;
  auto high = Address::FromWord(dirty);
  ASSERT_FALSE(high);
  EXPECT_EQ(high.error().code(), StatusCode::kInvalidArgument);
  dirty = word;
  dirty[11] = '\x80';
  EXPECT_FALSE(Address::FromWord(dirty));
  EXPECT_FALSE(Address::FromWord(a.ToBytes()));
  EXPECT_FALSE(Address::FromWord(word + '\0'));
}

}  // namespace
}  // namespace chainflow::engine::core
