#pragma once

#include <string>

#include "engine/core/address.h"

namespace chainflow::engine::processors::token_balances {

// `<prefix>.<chain>.events`: the splitter's input (one per chain).
std::string ChainEventsTopic(const std::string& topic_prefix, const std::string& chain);
// `<prefix>.token.deltas`: the repartition topic (splitter -> balances).
std::string DeltasTopic(const std::string& topic_prefix);
// `<prefix>.token.balances`: the balances processor's output.
std::string BalancesTopic(const std::string& topic_prefix);

// "<chain>:<0x token>:<0x account>" (DESIGN.md §4), lowercase hex.
std::string AccountKey(const std::string& chain, const core::Address& token,
                       const core::Address& account);
// "<chain>:<0x token>": supply records, so one task owns a token's supply.
std::string SupplyRecordKey(const std::string& chain, const core::Address& token);

}  // namespace chainflow::engine::processors::token_balances
