#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/address.h"
#include "engine/core/u256.h"

namespace chainflow::engine::wire {

// Record keys (DESIGN.md §4): they place records, so every producer of a
// topic and every co-partitioned consumer must build them alike.

// "<chain>:<0x token>:<0x account>" (lowercase hex): ERC-20 deltas and
// balances, intents by payer, payments by account.
std::string AccountKey(std::string_view chain, const core::Address& token,
                       const core::Address& account);
// The same from parts already rendered as lowercase 0x hex (ingest renders a
// log's contract once for all its keys).
std::string AccountKeyOf(std::string_view chain, std::string_view token_hex,
                         std::string_view account_hex);
// "<chain>:<0x contract>:<token id in decimal>": an NFT's transfers and its
// ownership records (ERC-721 and ERC-1155), so one task owns each token.
std::string TokenKey(std::string_view chain, const core::Address& contract,
                     const core::U256& token_id);
std::string TokenKeyOf(std::string_view chain, std::string_view contract_hex,
                       std::string_view token_decimal);
// "<chain>:<0x token>": a token's supply records, so one task owns them.
std::string SupplyKey(std::string_view chain, const core::Address& token);
// "<chain>:<contract name>": a contract's ContractEvents on the chain's
// events topic, where `contract` is the [[contracts]] name of the factory for
// factory-made contracts (so a factory's announcements and its instances'
// events meet in one task, in chain order) and the contract's own otherwise.
std::string ContractFamilyKey(std::string_view chain, std::string_view contract);
// "<chain>:<contract name>": a contract's events on its own topic, so all of
// them (every address's, and their retractions) keep chain order in one
// partition.
std::string ContractTopicKey(std::string_view chain, std::string_view contract);
// "<chain>/<partition>": a block marker the token splitter forwards from
// partition `partition` of the chain's events topic to every deltas
// partition, so consumers can tell the upstream partitions apart.
std::string ForwardedMarkerKey(std::string_view chain, int32_t partition);
// The upstream partition a ForwardedMarkerKey names; nullopt for any other
// key (or another chain's).
std::optional<int32_t> ForwardedMarkerPartition(std::string_view key, std::string_view chain);

}  // namespace chainflow::engine::wire
