#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <optional>
#include <vector>

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

// Reorg bookkeeping (README.md "Reorgs"), task-local: which source partition
// delivered a delta depends on the partitioning, so these keys start with
// '\0' and stay out of the state digest, like the runtime's.
//
// What an amount record is of: its key after "a/<chain>/" or "s/<chain>/",
// the kind letter first ('a' + token + account, or 's' + token).
std::string RecordRef(std::string_view chain, std::string_view record_key);
// "\0pending/<chain>/" + ref -> PendingRecord: present while the record
// counts deltas of blocks not final yet.
std::string PendingKey(std::string_view chain, std::string_view ref);
// "\0unfinal/<chain>/" + source partition (4 BE) + block (8 BE) -> the refs
// (concatenated) of the records holding unfinalized deltas of that block
// from that partition of the chain topic, found by point reads when that
// partition's markers finalize it.
std::string UnfinalKey(std::string_view chain, uint32_t source_partition, uint64_t block);
// "\0unfinal_blocks/<chain>/" + source partition (4 BE) -> the blocks that
// have an UnfinalKey, ascending (8 BE each).
std::string UnfinalBlocksKey(std::string_view chain, uint32_t source_partition);
// Splits a concatenation of refs; nullopt when malformed.
std::optional<std::vector<std::string>> SplitRefs(std::string_view refs);
std::string EncodeBlocks(const std::vector<uint64_t>& blocks);
core::Result<std::vector<uint64_t>> DecodeBlocks(std::string_view value);

// Unfinalized deltas of one block from one source partition.
struct PendingDeltas {
  uint64_t block = 0;
  uint32_t source_partition = 0;
  uint32_t count = 0;
  bool operator==(const PendingDeltas&) const = default;
};

// The deltas behind one amount record that may still be retracted, and what
// its final deltas alone amount to.
struct PendingRecord {
  uint64_t final_block = 0;  // highest block of a final delta
  bool final_delta = false;  // a final delta changed it: it stays in the views
  std::vector<PendingDeltas> deltas;  // ascending (block, source_partition)

  // The record's block: the highest of a delta still counted.
  uint64_t ViewBlock() const;
  bool operator==(const PendingRecord&) const = default;
};

// 8 final block BE + 1 final_delta (0/1) + 2 count BE + per entry block
// (8 BE) + source partition (4 BE) + count (4 BE).
std::string EncodePendingRecord(const PendingRecord& record);
core::Result<PendingRecord> DecodePendingRecord(std::string_view value);

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
