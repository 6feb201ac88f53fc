#include "api/handlers/cursor.h"

#include <gtest/gtest.h>

namespace chainflow::api::handlers {
namespace {

OwnerNftKey SampleKey() {
  OwnerNftKey key;
  key.chain = "anvil";
  key.contract = core::Address::FromHex("0x00000000000000000000000000000000000000ab").value();
  key.token_id =
      core::U256FromDecimal(
          "115792089237316195423570985008687907853269984665640564039457584007913129639935")
          .value();
  key.standard = "erc1155";
  return key;
}

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    std::string encoded = Base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.has_value()) << n;
    EXPECT_EQ(decoded.value(), bytes);
    bytes += static_cast<char>(n * 37 + 250);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, RejectsBadInput) {
  EXPECT_FALSE(Base64UrlDecode("abc=").has_value());   // padding
  EXPECT_FALSE(Base64UrlDecode("ab+c").has_value());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("abcde").has_value());  // impossible length
  EXPECT_FALSE(Base64UrlDecode("AB").has_value());     // non-zero trailing bits
  EXPECT_TRUE(Base64UrlDecode("AA").has_value());
}

TEST(CursorTest, RoundTrips) {
  OwnerNftKey key = SampleKey();
  std::string cursor = EncodeCursor(key, "scope");
  auto decoded = DecodeCursor(cursor, "scope");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoded.value(), key);
}

TEST(CursorTest, RejectsEveryOneCharacterEdit) {
  std::string cursor = EncodeCursor(SampleKey(), "scope");
  const std::string alphabet = "Aa0-_Zz9";
  int accepted = 0;
  for (size_t i = 0; i < cursor.size(); ++i) {
    for (char c : alphabet) {
      if (cursor[i] == c) continue;
      std::string edited = cursor;
      edited[i] = c;
      auto decoded = DecodeCursor(edited, "scope");
      if (decoded.has_value()) {
        ++accepted;
        continue;
      }
      EXPECT_EQ(decoded.error().code(), core::StatusCode::kInvalidArgument);
      EXPECT_EQ(decoded.error().message().rfind("cursor: ", 0), 0u);
    }
  }
  // An edit of the last character may only flip unused trailing bits, which
  // the strict decoder also rejects: nothing is accepted.
  EXPECT_EQ(accepted, 0);
}

TEST(CursorTest, RejectsOtherScopeTruncationAndGarbage) {
  std::string cursor = EncodeCursor(SampleKey(), "owner-a");
  EXPECT_FALSE(DecodeCursor(cursor, "owner-b").has_value());
  EXPECT_FALSE(DecodeCursor(cursor.substr(0, cursor.size() - 4), "owner-a").has_value());
  EXPECT_FALSE(DecodeCursor("", "owner-a").has_value());
  EXPECT_FALSE(DecodeCursor("not a cursor!", "owner-a").has_value());
  EXPECT_FALSE(DecodeCursor(std::string(5000, 'A'), "owner-a").has_value());
  EXPECT_FALSE(DecodeCursor(Base64UrlEncode("c1\nanvil\n0x1\n1\nerc721\n00000000"), "x")
                   .has_value());
}

}  // namespace
}  // namespace chainflow::api::handlers
