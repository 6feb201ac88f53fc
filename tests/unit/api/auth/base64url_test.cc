#include "api/auth/base64url.h"

#include <gtest/gtest.h>

namespace chainflow::api::auth {
namespace {

TEST(Base64UrlTest, Rfc4648Vectors) {
  // RFC 4648 §10, without padding.
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlDecode("Zm9vYg").value(), "foob");
  EXPECT_EQ(Base64UrlDecode("Zm9vYg==").value(), "foob");
}

TEST(Base64UrlTest, UsesUrlAlphabet) {
  std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_EQ(Base64UrlDecode("-_-_").value(), bytes);
  EXPECT_FALSE(Base64UrlDecode("+/+/"));
}

TEST(Base64UrlTest, RejectsBadInput) {
  EXPECT_FALSE(Base64UrlDecode("Z"));     // dangling 6 bits
  EXPECT_FALSE(Base64UrlDecode("Zm9v!"));
  EXPECT_FALSE(Base64UrlDecode("Zh"));    // non-zero unused bits
}

TEST(Base64UrlTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < all.size(); n += 37) {
    std::string part = all.substr(0, n);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(part)).value(), part);
  }
}

}  // namespace
}  // namespace chainflow::api::auth
