#include "engine/processors/token_balances/topics.h"

#include <fmt/format.h>

namespace chainflow::engine::processors::token_balances {

std::string ChainEventsTopic(const std::string& topic_prefix, const std::string& chain) {
  return fmt::format("{}.{}.events", topic_prefix, chain);
}

std::string DeltasTopic(const std::string& topic_prefix) { return topic_prefix + ".token.deltas"; }

std::string BalancesTopic(const std::string& topic_prefix) {
  return topic_prefix + ".token.balances";
}

std::string AccountKey(const std::string& chain, const core::Address& token,
                       const core::Address& account) {
  return fmt::format("{}:{}:{}", chain, token.ToHex(), account.ToHex());
}

std::string SupplyRecordKey(const std::string& chain, const core::Address& token) {
  return fmt::format("{}:{}", chain, token.ToHex());
}

}  // namespace chainflow::engine::processors::token_balances
