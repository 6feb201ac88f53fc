#include "engine/core/crypto.h"

#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

TEST(CryptoTest, Sha256KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(LowerHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(LowerHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HmacSha256Rfc4231) {
  // RFC 4231 test cases 1 and 2.
  EXPECT_EQ(LowerHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(LowerHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacDependsOnKeyAndMessage) {
  std::string mac = HmacSha256("k", "m");
  EXPECT_EQ(mac.size(), 32u);
  EXPECT_NE(mac, HmacSha256("k2", "m"));
  EXPECT_NE(mac, HmacSha256("k", "m2"));
  EXPECT_EQ(HmacSha256("", "").size(), 32u);
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CryptoTest, LowerHex) {
  EXPECT_EQ(LowerHex(std::string("\x00\xff\x1a", 3)), "00ff1a");
  EXPECT_EQ(LowerHex(""), "");
}

}  // namespace
}  // namespace chainflow::engine::core
