#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"

namespace chainflow::engine::processors::nft_ownership {

// The processor's RocksDB state layout (README.md "State layout" is the
// spec). Keys are binary and sort bytewise: a one-letter kind, '/', the
// chain name (a-z 0-9 _ -, never '/'), '/', then fixed-width big-endian
// fields, so a prefix scan of "o/<chain>/<contract>" lists a contract's
// tokens in token-id order. Values are fixed-width binary.

// "o/<chain>/" + contract(20) + token id(32 BE)  -> OwnerRecord
std::string OwnerKey(std::string_view chain, const core::Address& contract,
                     const core::U256& token_id);
// "b/<chain>/" + contract(20) + token id(32 BE) + holder(20)  -> U256 (32 BE)
std::string BalanceKey(std::string_view chain, const core::Address& contract,
                       const core::U256& token_id, const core::Address& holder);
// "h/<chain>"  -> block number (8 BE)
std::string HeadKey(std::string_view chain);

// A processor key taken apart (for retractions of reverted writes).
struct ParsedKey {
  enum class Kind { kOwner, kBalance, kHead } kind = Kind::kHead;
  std::string chain;
  core::Address contract;  // owner, balance
  core::U256 token_id;     // owner, balance
  core::Address holder;    // balance
};
// DataLoss when `key` is not one of the keys above.
core::Result<ParsedKey> ParseKey(std::string_view key);

// The current owner of an ERC-721 token and the transfer that made it so.
// A burned token keeps its record with owner = the zero address.
struct OwnerRecord {
  core::Address owner;
  uint64_t block_number = 0;
  uint32_t log_index = 0;
  std::array<uint8_t, 32> tx_hash{};  // all zero when the source had none
};

// Version byte of the OwnerRecord layout.
inline constexpr uint8_t kOwnerRecordVersion = 1;
// 1 version + 20 owner + 8 block + 4 log index + 32 tx hash.
inline constexpr size_t kOwnerRecordSize = 65;

std::string EncodeOwnerRecord(const OwnerRecord& record);
// DataLoss when `value` is not a version-1 record (state is ours: a bad
// value is a broken invariant, not bad input).
core::Result<OwnerRecord> DecodeOwnerRecord(std::string_view value);

std::string EncodeBalance(const core::U256& balance);       // 32 bytes BE
core::Result<core::U256> DecodeBalance(std::string_view value);  // DataLoss unless 32 bytes

std::string EncodeBlockNumber(uint64_t number);              // 8 bytes BE
core::Result<uint64_t> DecodeBlockNumber(std::string_view value);  // DataLoss unless 8 bytes

}  // namespace chainflow::engine::processors::nft_ownership
