#include "engine/wire/topics.h"

#include <fmt/format.h>

namespace chainflow::engine::wire {

std::string ChainEventsTopic(std::string_view prefix, std::string_view chain) {
  return fmt::format("{}.{}.events", prefix, chain);
}
std::string UserEventsTopic(std::string_view prefix) {
  return fmt::format("{}.user.events", prefix);
}
std::string DeadLetterTopic(std::string_view prefix) { return fmt::format("{}.dlq", prefix); }
std::string OwnershipTopic(std::string_view prefix) {
  return fmt::format("{}.nft.ownership", prefix);
}
std::string TokenDeltasTopic(std::string_view prefix) {
  return fmt::format("{}.token.deltas", prefix);
}
std::string TokenBalancesTopic(std::string_view prefix) {
  return fmt::format("{}.token.balances", prefix);
}
std::string IntentsTopic(std::string_view prefix) { return fmt::format("{}.intents", prefix); }
std::string SettlementsTopic(std::string_view prefix) {
  return fmt::format("{}.settlements", prefix);
}
std::string SettlementPartsTopic(std::string_view prefix) {
  return fmt::format("{}.settlement.parts", prefix);
}
std::string AccrualsTopic(std::string_view prefix) { return fmt::format("{}.accruals", prefix); }

std::string ContractTopic(std::string_view prefix, std::string_view contract) {
  constexpr std::string_view kInfix = ".contract.";
  std::string topic;
  topic.reserve(prefix.size() + kInfix.size() + contract.size());
  topic.append(prefix).append(kInfix).append(contract);
  return topic;
}

}  // namespace chainflow::engine::wire
