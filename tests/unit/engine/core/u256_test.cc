#include "engine/core/u256.h"

#include <random>

#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

const char kMaxDecimal[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";
const char kTwoTo256[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";

U256 Max() { return std::numeric_limits<U256>::max(); }

TEST(U256Test, DecimalRoundTrip) {
  for (const char* text : {"0", "1", "255", "256", "18446744073709551616", kMaxDecimal}) {
    auto v = U256FromDecimal(text);
    ASSERT_TRUE(v) << text;
    EXPECT_EQ(U256ToDecimal(v.value()), text);
  }
  EXPECT_EQ(U256FromDecimal(kMaxDecimal).value(), Max());
}

TEST(U256Test, DecimalRejectsOverflowAndNonDigits) {
  auto over = U256FromDecimal(kTwoTo256);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(U256FromDecimal(std::string(79, '9')).error().code(), StatusCode::kOutOfRange);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "12a"}) {
    EXPECT_FALSE(U256FromDecimal(bad)) << bad;
  }
  EXPECT_EQ(U256FromDecimal("-1").error().code(), StatusCode::kInvalidArgument);
}

TEST(U256Test, HexRoundTrip) {
  EXPECT_EQ(U256FromHex("0x0").value(), 0);
  EXPECT_EQ(U256FromHex("0x1A").value(), 26);
  EXPECT_EQ(U256FromHex("0x" + std::string(64, 'f')).value(), Max());
  EXPECT_EQ(U256FromHex("0x8" + std::string(63, '0')).value(), U256(1) << 255);
  auto over = U256FromHex("0x1" + std::string(64, '0'));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(U256FromHex("0xzz"));
  EXPECT_FALSE(U256FromHex("0x"));
  EXPECT_FALSE(U256FromHex(""));
}

TEST(U256Test, BytesRoundTrip) {
  for (U256 v : {U256(0), U256(1), U256(0x1234), (U256(1) << 200) + 7, Max()}) {
    Bytes32 word = U256ToBytes32(v);
    EXPECT_EQ(U256FromBytes32(word), v);
    std::string be = U256ToBigEndianString(v);
    ASSERT_EQ(be.size(), 32u);
    EXPECT_EQ(U256FromBigEndian(be).value(), v);
  }
  Bytes32 one = U256ToBytes32(1);
  EXPECT_EQ(one[31], 1);
  EXPECT_EQ(one[0], 0);
  EXPECT_EQ(U256ToBytes32(Max()), Bytes32{[] {
              Bytes32 b;
              b.fill(0xff);
              return b;
            }()});
}

TEST(U256Test, BigEndianShortAndLong) {
  EXPECT_EQ(U256FromBigEndian("").value(), 0);
  EXPECT_EQ(U256FromBigEndian(std::string("\x01\x00", 2)).value(), 256);
  auto long_input = U256FromBigEndian(std::string(33, '\0'));
  ASSERT_FALSE(long_input);
  EXPECT_EQ(long_input.error().code(), StatusCode::kInvalidArgument);
}

TEST(U256Test, CheckedArithmetic) {
  EXPECT_EQ(CheckedAdd(2, 3).value(), 5);
  EXPECT_EQ(CheckedAdd(Max() - 1, 1).value(), Max());
  auto overflow = CheckedAdd(Max(), 1);
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(CheckedSub(5, 5).value(), 0);
  auto underflow = CheckedSub(1, 2);
  ASSERT_FALSE(underflow);
  EXPECT_EQ(underflow.error().code(), StatusCode::kOutOfRange);
}

// The limb-level conversions against Boost's import_bits/export_bits.
TEST(U256Test, BytesMatchBoostImportAndExport) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    Bytes32 bytes{};
    const size_t zeros = rng() % 33;  // values of every length, 0 included
    for (size_t j = zeros; j < 32; ++j) bytes[j] = static_cast<uint8_t>(rng());
    U256 expected;
    boost::multiprecision::import_bits(expected, bytes.begin(), bytes.end(), 8, true);
    EXPECT_EQ(U256FromBytes32(bytes), expected);
    EXPECT_EQ(U256ToBytes32(expected), bytes);
    const std::string_view tail(reinterpret_cast<const char*>(bytes.data()) + zeros, 32 - zeros);
    EXPECT_EQ(U256FromBigEndian(tail).value(), expected);
    EXPECT_EQ(U256ToBigEndianString(expected),
              std::string(reinterpret_cast<const char*>(bytes.data()), 32));
  }
  U256 max = ~U256(0);
  Bytes32 all_ones;
  all_ones.fill(0xff);
  EXPECT_EQ(U256ToBytes32(max), all_ones);
  EXPECT_EQ(U256FromBigEndian(std::string(32, '\xff')).value(), max);
  EXPECT_EQ(U256FromBigEndian("").value(), 0);
}

}  // namespace
}  // namespace chainflow::engine::core
