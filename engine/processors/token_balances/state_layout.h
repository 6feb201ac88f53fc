#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/processors/common/net_amount.h"

namespace chainflow::engine::processors::token_balances {

// The balances processor's RocksDB state layout (README.md "State layout" is
// the spec). Keys: a one-letter kind, '/', the chain name (never '/'), '/',
// then fixed-width binary fields, so "a/<chain>/<token>" prefix-scans a
// token's holders in address order. Every value is self-contained (an
// absolute amount, not a delta), so restoring a key's previous value undoes
// a block (the runtime's generic per-block undo relies on that).

// "a/<chain>/" + token(20) + account(20)  -> AmountRecord (the account's balance)
std::string BalanceKey(std::string_view chain, const core::Address& token,
                       const core::Address& account);
// "s/<chain>/" + token(20)  -> AmountRecord (the token's total supply)
std::string SupplyKey(std::string_view chain, const core::Address& token);
// "h/<chain>"  -> block number (8 BE): the highest BlockEnd seen
std::string HeadKey(std::string_view chain);

// A net amount and the highest block that changed it (the max, not the
// last: deltas of one key may arrive out of block order).
struct AmountRecord {
  NetAmount net;
  uint64_t block_number = 0;
  bool operator==(const AmountRecord&) const = default;
};

inline constexpr uint8_t kAmountRecordVersion = 1;
// 1 version + 1 sign (0 or 1) + 32 magnitude BE + 8 block BE.
inline constexpr size_t kAmountRecordSize = 42;

std::string EncodeAmountRecord(const AmountRecord& record);
// DataLoss unless a version-1 record with a canonical sign.
core::Result<AmountRecord> DecodeAmountRecord(std::string_view value);

std::string EncodeBlockNumber(uint64_t number);                    // 8 bytes BE
core::Result<uint64_t> DecodeBlockNumber(std::string_view value);  // DataLoss unless 8 bytes

}  // namespace chainflow::engine::processors::token_balances
