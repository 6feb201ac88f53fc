#include "engine/wire/keys.h"

#include <charconv>

#include <fmt/format.h>

namespace chainflow::engine::wire {

std::string AccountKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  return fmt::format("{}:{}:{}", chain, token.ToHex(), account.ToHex());
}

std::string SupplyKey(std::string_view chain, const core::Address& token) {
  return fmt::format("{}:{}", chain, token.ToHex());
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
