#include "engine/processors/nft_ownership/state_layout.h"

#include <gtest/gtest.h>

#include "engine/core/hex.h"

namespace chainflow::engine::processors::nft_ownership {
namespace {

core::Address Addr(std::string_view hex) { return core::Address::FromHex(hex).value(); }

const core::Address kContract = Addr("0x00000000000000000000000000000000000c0ffe");
const core::Address kHolder = Addr("0x00000000000000000000000000000000000a11ce");

TEST(StateLayoutTest, OwnerKeyBytes) {
  std::string key = OwnerKey("mainnet", kContract, 5);
  EXPECT_EQ(core::ToHex(key), core::ToHex(std::string_view("o/mainnet/")) +
                                  std::string(34, '0') + "0c0ffe" + std::string(62, '0') + "05");
  EXPECT_EQ(key.size(), 10u + 20 + 32);
}

TEST(StateLayoutTest, BalanceAndHeadKeys) {
  std::string key = BalanceKey("base", kContract, 1, kHolder);
  ASSERT_EQ(key.size(), 7u + 20 + 32 + 20);
  EXPECT_EQ(key.substr(0, 7), "b/base/");
  EXPECT_EQ(key.substr(7, 20), kContract.ToBytes());
  EXPECT_EQ(key.substr(27, 32), core::U256ToBigEndianString(1));
  EXPECT_EQ(key.substr(59), kHolder.ToBytes());
  EXPECT_EQ(HeadKey("base"), "h/base");
}

TEST(StateLayoutTest, KeysSortByTokenThenHolder) {
  EXPECT_LT(OwnerKey("a", kContract, 255), OwnerKey("a", kContract, 256));
  EXPECT_LT(OwnerKey("a", kContract, 256),
            OwnerKey("a", kContract, std::numeric_limits<core::U256>::max()));
  EXPECT_LT(BalanceKey("a", kContract, 1, kHolder), BalanceKey("a", kContract, 2, core::Address()));
}

TEST(StateLayoutTest, OwnerRecordRoundTrip) {
  OwnerRecord record;
  record.owner = kHolder;
  record.block_number = 0x0102030405060708;
  record.log_index = 0x0a0b0c0d;
  record.tx_hash.fill(0xee);
  std::string value = EncodeOwnerRecord(record);
  ASSERT_EQ(value.size(), kOwnerRecordSize);
  EXPECT_EQ(core::ToHex(value), "0x01" + kHolder.ToHex().substr(2) + "0102030405060708" +
                                    "0a0b0c0d" + std::string(64, 'e'));
  auto decoded = DecodeOwnerRecord(value);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded.value().owner, kHolder);
  EXPECT_EQ(decoded.value().block_number, record.block_number);
  EXPECT_EQ(decoded.value().log_index, record.log_index);
  EXPECT_EQ(decoded.value().tx_hash, record.tx_hash);
}

TEST(StateLayoutTest, CorruptValuesAreDataLoss) {
  EXPECT_EQ(DecodeOwnerRecord("short").error().code(), core::StatusCode::kDataLoss);
  std::string wrong_version(kOwnerRecordSize, '\0');
  wrong_version[0] = 2;
  EXPECT_EQ(DecodeOwnerRecord(wrong_version).error().code(), core::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeBalance(std::string(31, '\0')).error().code(), core::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeBlockNumber("1234567").error().code(), core::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeBalance(EncodeBalance(12345)).value(), 12345);
  EXPECT_EQ(DecodeBlockNumber(EncodeBlockNumber(1ull << 40)).value(), 1ull << 40);
  EXPECT_EQ(EncodeBlockNumber(258), std::string("\0\0\0\0\0\0\x01\x02", 8));
}

}  // namespace
}  // namespace chainflow::engine::processors::nft_ownership
