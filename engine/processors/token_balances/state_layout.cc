#include "engine/processors/token_balances/state_layout.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::processors::token_balances {
namespace {

void PutBigEndian(std::string& out, uint64_t v, int bytes = 8) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t GetBigEndian(std::string_view in) {
  uint64_t v = 0;
  for (char c : in) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string Prefix(char kind, std::string_view chain) {
  std::string key(1, kind);
  key += '/';
  key += chain;
  key += '/';
  return key;
}

}  // namespace

std::string BalanceKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  return Prefix('a', chain) + token.ToBytes() + account.ToBytes();
}

std::string SupplyKey(std::string_view chain, const core::Address& token) {
  return Prefix('s', chain) + token.ToBytes();
}

std::string HeadKey(std::string_view chain) { return "h/" + std::string(chain); }

std::string RecordRef(std::string_view chain, std::string_view record_key) {
  // "a/<chain>/..." -> "a..."
  return std::string(1, record_key[0]) + std::string(record_key.substr(chain.size() + 3));
}

std::string PendingKey(std::string_view chain, std::string_view ref) {
  return fmt::format("{}pending/{}/{}", '\0', chain, ref);
}

std::string UnfinalKey(std::string_view chain, uint32_t source_partition, uint64_t block) {
  std::string key = fmt::format("{}unfinal/{}/", '\0', chain);
  PutBigEndian(key, source_partition, 4);
  PutBigEndian(key, block);
  return key;
}

std::string UnfinalBlocksKey(std::string_view chain, uint32_t source_partition) {
  std::string key = fmt::format("{}unfinal_blocks/{}/", '\0', chain);
  PutBigEndian(key, source_partition, 4);
  return key;
}

std::optional<std::vector<std::string>> SplitRefs(std::string_view refs) {
  std::vector<std::string> out;
  while (!refs.empty()) {
    const size_t size = refs[0] == 'a' ? 41 : refs[0] == 's' ? 21 : 0;
    if (size == 0 || refs.size() < size) return std::nullopt;
    out.emplace_back(refs.substr(0, size));
    refs.remove_prefix(size);
  }
  return out;
}

std::string EncodeBlocks(const std::vector<uint64_t>& blocks) {
  std::string out;
  for (uint64_t b : blocks) PutBigEndian(out, b);
  return out;
}

core::Result<std::vector<uint64_t>> DecodeBlocks(std::string_view value) {
  if (value.size() % 8 != 0) {
    return core::DataLossError(
        fmt::format("token_balances: block list of {} bytes", value.size()));
  }
  std::vector<uint64_t> out;
  for (size_t i = 0; i < value.size(); i += 8) out.push_back(GetBigEndian(value.substr(i, 8)));
  return out;
}

uint64_t PendingRecord::ViewBlock() const {
  uint64_t block = final_block;
  for (const PendingDeltas& d : deltas) block = std::max(block, d.block);
  return block;
}

std::string EncodePendingRecord(const PendingRecord& record) {
  std::string out;
  out.reserve(11 + 16 * record.deltas.size());
  PutBigEndian(out, record.final_block);
  out += static_cast<char>(record.final_delta ? 1 : 0);
  PutBigEndian(out, record.deltas.size(), 2);
  for (const PendingDeltas& d : record.deltas) {
    PutBigEndian(out, d.block);
    PutBigEndian(out, d.source_partition, 4);
    PutBigEndian(out, d.count, 4);
  }
  return out;
}

core::Result<PendingRecord> DecodePendingRecord(std::string_view value) {
  const size_t n = value.size() >= 11 ? GetBigEndian(value.substr(9, 2)) : 0;
  if (value.size() < 11 || static_cast<uint8_t>(value[8]) > 1 || value.size() != 11 + 16 * n) {
    return core::DataLossError(
        fmt::format("token_balances: bad pending record {}", core::ToHex(value.substr(0, 64))));
  }
  PendingRecord record;
  record.final_block = GetBigEndian(value.substr(0, 8));
  record.final_delta = value[8] == 1;
  for (size_t i = 0; i < n; ++i) {
    std::string_view e = value.substr(11 + 16 * i, 16);
    record.deltas.push_back({GetBigEndian(e.substr(0, 8)),
                             static_cast<uint32_t>(GetBigEndian(e.substr(8, 4))),
                             static_cast<uint32_t>(GetBigEndian(e.substr(12, 4)))});
  }
  return record;
}

std::string EncodeAmountRecord(const AmountRecord& record) {
  std::string out;
  out.reserve(kAmountRecordSize);
  out += static_cast<char>(kAmountRecordVersion);
  out += static_cast<char>(record.net.negative ? 1 : 0);
  out += core::U256ToBigEndianString(record.net.magnitude);
  PutBigEndian(out, record.block_number);
  return out;
}

core::Result<AmountRecord> DecodeAmountRecord(std::string_view value) {
  if (value.size() != kAmountRecordSize ||
      static_cast<uint8_t>(value[0]) != kAmountRecordVersion ||
      static_cast<uint8_t>(value[1]) > 1) {
    return core::DataLossError(
        fmt::format("token_balances: bad amount record {}", core::ToHex(value.substr(0, 64))));
  }
  AmountRecord record;
  record.net.negative = value[1] == 1;
  ASSIGN_OR_RETURN(record.net.magnitude, core::U256FromBigEndian(value.substr(2, 32)));
  if (record.net.negative && record.net.magnitude == 0) {
    return core::DataLossError("token_balances: amount record with negative zero");
  }
  record.block_number = GetBigEndian(value.substr(34, 8));
  return record;
}

std::string EncodeBlockNumber(uint64_t number) {
  std::string out;
  PutBigEndian(out, number);
  return out;
}

core::Result<uint64_t> DecodeBlockNumber(std::string_view value) {
  if (value.size() != 8) {
    return core::DataLossError(
        fmt::format("token_balances: block number value of {} bytes (want 8)", value.size()));
  }
  return GetBigEndian(value);
}

}  // namespace chainflow::engine::processors::token_balances
