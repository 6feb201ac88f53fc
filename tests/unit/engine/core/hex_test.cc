#include "engine/core/hex.h"

#include <array>

#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

TEST(HexTest, ToHexIsLowercaseWithPrefix) {
  std::vector<uint8_t> bytes = {0x00, 0xab, 0xCD, 0xff};
  EXPECT_EQ(ToHex(std::span<const uint8_t>(bytes)), "0x00abcdff");
  EXPECT_EQ(ToHex(std::string_view("\x01\x7f", 2)), "0x017f");
  EXPECT_EQ(ToHex(std::string_view()), "0x");
}

TEST(HexTest, FromHexAcceptsPrefixAnyCaseAndBare) {
  auto a = FromHex("0xDeadBEEF");
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value(), (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  auto b = FromHex("0XFF00");
  ASSERT_TRUE(b);
  EXPECT_EQ(b.value(), (std::vector<uint8_t>{0xff, 0x00}));
  auto c = FromHex("0a");
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value(), (std::vector<uint8_t>{0x0a}));
  auto empty = FromHex("0x");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty.value().empty());
}

TEST(HexTest, FromHexRejectsOddLengthAndBadCharacters) {
  auto odd = FromHex("0xabc");
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(odd.error().message().find("odd-length"), std::string::npos);

  auto bad = FromHex("0x12zz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("'z'"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("position 2"), std::string::npos);
  EXPECT_FALSE(FromHex("0x 1"));
}

TEST(HexTest, FromHexPaddedLeftPads) {
  std::array<uint8_t, 4> out{};
  ASSERT_TRUE(FromHexPadded("0xabc", out).ok());
  EXPECT_EQ(out, (std::array<uint8_t, 4>{0, 0, 0x0a, 0xbc}));
  ASSERT_TRUE(FromHexPadded("0x01020304", out).ok());
  EXPECT_EQ(out, (std::array<uint8_t, 4>{1, 2, 3, 4}));
  ASSERT_TRUE(FromHexPadded("", out).ok());
  EXPECT_EQ(out, (std::array<uint8_t, 4>{}));
}

TEST(HexTest, FromHexPaddedRejectsLongAndBadInput) {
  std::array<uint8_t, 2> out{};
  Status too_long = FromHexPadded("0x010203", out);
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("longer than 2 bytes"), std::string::npos);
  EXPECT_EQ(FromHexPadded("0x0g", out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FromHexPadded("0xg00", out).code(), StatusCode::kInvalidArgument);
}

TEST(HexTest, ParseHexQuantity) {
  EXPECT_EQ(ParseHexQuantity("0x0").value(), 0u);
  EXPECT_EQ(ParseHexQuantity("0x1a").value(), 26u);
  EXPECT_EQ(ParseHexQuantity("0xABC").value(), 0xabcu);
  EXPECT_EQ(ParseHexQuantity("ff").value(), 255u);
  EXPECT_EQ(ParseHexQuantity("0xffffffffffffffff").value(), UINT64_MAX);
}

TEST(HexTest, ParseHexQuantityErrors) {
  auto empty = ParseHexQuantity("0x");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseHexQuantity(""));
  auto bad = ParseHexQuantity("0x1q");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  auto overflow = ParseHexQuantity("0x10000000000000000");
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error().code(), StatusCode::kOutOfRange);
}

// DecodeHex takes sixteen digits at a time and the rest one pair at a time:
// every byte value, at every position of a 40-digit input (two wide steps and
// a tail), is accepted exactly when it is a hex digit and decodes as one.
TEST(HexTest, DecodeHexAgreesWithTheDigitRulesAtEveryPosition) {
  auto value = [](int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const std::string base = "0123456789abcdefABCDEF0123456789aBcDeF00";
  ASSERT_EQ(base.size(), 40u);
  for (size_t pos = 0; pos < base.size(); ++pos) {
    for (int c = 0; c < 256; ++c) {
      std::string digits = base;
      digits[pos] = static_cast<char>(c);
      std::array<uint8_t, 20> out{};
      const bool ok = DecodeHex(digits, out.data());
      ASSERT_EQ(ok, value(c) >= 0) << "byte " << c << " at " << pos;
      if (!ok) continue;
      for (size_t i = 0; i < out.size(); ++i) {
        const int want = value(digits[2 * i]) * 16 + value(digits[2 * i + 1]);
        ASSERT_EQ(out[i], want) << "byte " << c << " at " << pos << ", output " << i;
      }
    }
  }
}

}  // namespace
}  // namespace chainflow::engine::core
