#include "engine/processors/nft_ownership/state_layout.h"

#include <cstring>

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::processors::nft_ownership {
namespace {

void AppendBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t ReadBigEndian(std::string_view in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string KeyPrefix(char kind, std::string_view chain) {
  std::string key;
  key += kind;
  key += '/';
  key += chain;
  key += '/';
  return key;
}

}  // namespace

std::string OwnerKey(std::string_view chain, const core::Address& contract,
                     const core::U256& token_id) {
  std::string key = KeyPrefix('o', chain);
  key += contract.ToBytes();
  key += core::U256ToBigEndianString(token_id);
  return key;
}

std::string BalanceKey(std::string_view chain, const core::Address& contract,
                       const core::U256& token_id, const core::Address& holder) {
  std::string key = KeyPrefix('b', chain);
  key += contract.ToBytes();
  key += core::U256ToBigEndianString(token_id);
  key += holder.ToBytes();
  return key;
}

std::string HeadKey(std::string_view chain) { return "h/" + std::string(chain); }

core::Result<ParsedKey> ParseKey(std::string_view key) {
  auto bad = [&] {
    return core::DataLossError(fmt::format("nft_ownership: bad state key {}", core::ToHex(key)));
  };
  if (key.size() < 3 || key[1] != '/') return bad();
  ParsedKey parsed;
  size_t slash = key.find('/', 2);
  if (key[0] == 'h') {
    if (slash != std::string_view::npos) return bad();
    parsed.chain = std::string(key.substr(2));
    return parsed;
  }
  if (slash == std::string_view::npos) return bad();
  parsed.chain = std::string(key.substr(2, slash - 2));
  std::string_view rest = key.substr(slash + 1);
  if (key[0] == 'o' && rest.size() == 52) {
    parsed.kind = ParsedKey::Kind::kOwner;
  } else if (key[0] == 'b' && rest.size() == 72) {
    parsed.kind = ParsedKey::Kind::kBalance;
  } else {
    return bad();
  }
  ASSIGN_OR_RETURN(parsed.contract, core::Address::FromBytes(rest.substr(0, 20)));
  ASSIGN_OR_RETURN(parsed.token_id, core::U256FromBigEndian(rest.substr(20, 32)));
  if (parsed.kind == ParsedKey::Kind::kBalance) {
    ASSIGN_OR_RETURN(parsed.holder, core::Address::FromBytes(rest.substr(52, 20)));
  }
  return parsed;
}

std::string EncodeOwnerRecord(const OwnerRecord& record) {
  std::string out;
  out.reserve(kOwnerRecordSize);
  out += static_cast<char>(kOwnerRecordVersion);
  out += record.owner.ToBytes();
  AppendBigEndian(out, record.block_number, 8);
  AppendBigEndian(out, record.log_index, 4);
  out.append(reinterpret_cast<const char*>(record.tx_hash.data()), record.tx_hash.size());
  return out;
}

core::Result<OwnerRecord> DecodeOwnerRecord(std::string_view value) {
  if (value.size() != kOwnerRecordSize || static_cast<uint8_t>(value[0]) != kOwnerRecordVersion) {
    return core::DataLossError(fmt::format("nft_ownership: bad owner record {}",
                                           core::ToHex(value.substr(0, 80))));
  }
  OwnerRecord record;
  std::array<uint8_t, core::Address::kSize> owner{};
  std::memcpy(owner.data(), value.data() + 1, owner.size());
  record.owner = core::Address(owner);
  record.block_number = ReadBigEndian(value.substr(21), 8);
  record.log_index = static_cast<uint32_t>(ReadBigEndian(value.substr(29), 4));
  std::memcpy(record.tx_hash.data(), value.data() + 33, record.tx_hash.size());
  return record;
}

std::string EncodeBalance(const core::U256& balance) {
  return core::U256ToBigEndianString(balance);
}

core::Result<core::U256> DecodeBalance(std::string_view value) {
  if (value.size() != 32) {
    return core::DataLossError(
        fmt::format("nft_ownership: balance value of {} bytes (want 32)", value.size()));
  }
  return core::U256FromBigEndian(value);
}

std::string EncodeBlockNumber(uint64_t number) {
  std::string out;
  AppendBigEndian(out, number, 8);
  return out;
}

core::Result<uint64_t> DecodeBlockNumber(std::string_view value) {
  if (value.size() != 8) {
    return core::DataLossError(
        fmt::format("nft_ownership: block number value of {} bytes (want 8)", value.size()));
  }
  return ReadBigEndian(value, 8);
}

}  // namespace chainflow::engine::processors::nft_ownership
