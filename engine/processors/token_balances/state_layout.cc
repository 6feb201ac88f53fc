#include "engine/processors/token_balances/state_layout.h"

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::processors::token_balances {
namespace {

void PutBigEndian(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
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
