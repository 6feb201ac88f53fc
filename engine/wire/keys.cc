#include "engine/wire/keys.h"

#include <charconv>

#include <fmt/format.h>

namespace chainflow::engine::wire {

namespace {

// a:b:c, built by appending: keys are made per event on ingest's hot path,
// where fmt's format parsing showed in profiles.
std::string Join3(std::string_view a, std::string_view b, std::string_view c) {
  std::string key;
  key.reserve(a.size() + b.size() + c.size() + 2);
  key += a;
  key += ':';
  key += b;
  key += ':';
  key += c;
  return key;
}

}  // namespace

std::string AccountKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  return Join3(chain, token.ToHex(), account.ToHex());
}

std::string AccountKeyOf(std::string_view chain, std::string_view token_hex,
                         std::string_view account_hex) {
  return Join3(chain, token_hex, account_hex);
}

std::string TokenKey(std::string_view chain, const core::Address& contract,
                     const core::U256& token_id) {
  return Join3(chain, contract.ToHex(), core::U256ToDecimal(token_id));
}

std::string TokenKeyOf(std::string_view chain, std::string_view contract_hex,
                       std::string_view token_decimal) {
  return Join3(chain, contract_hex, token_decimal);
}

std::string SupplyKey(std::string_view chain, const core::Address& token) {
  return fmt::format("{}:{}", chain, token.ToHex());
}

std::string ContractFamilyKey(std::string_view chain, std::string_view contract) {
  std::string key;
  key.reserve(chain.size() + 1 + contract.size());
  key += chain;
  key += ':';
  key += contract;
  return key;
}

std::string ContractTopicKey(std::string_view chain, std::string_view contract) {
  return ContractFamilyKey(chain, contract);  // the same shape: "<chain>:<name>"
}

std::string ForwardedMarkerKey(std::string_view chain, int32_t partition) {
  return fmt::format("{}/{}", chain, partition);
}

std::optional<int32_t> ForwardedMarkerPartition(std::string_view key, std::string_view chain) {
  if (key.size() <= chain.size() + 1 || key.substr(0, chain.size()) != chain ||
      key[chain.size()] != '/') {
    return std::nullopt;
  }
  std::string_view digits = key.substr(chain.size() + 1);
  int32_t partition = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
  if (ec != std::errc() || end != digits.data() + digits.size() || partition < 0) {
    return std::nullopt;
  }
  return partition;
}

}  // namespace chainflow::engine::wire
