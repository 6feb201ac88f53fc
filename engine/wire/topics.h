#pragma once

#include <string>
#include <string_view>

namespace chainflow::engine::wire {

// Every topic chainflow writes (DESIGN.md §4), under the configured prefix
// (`kafka.topic_prefix`, "cf" by default). Producers and consumers both name
// topics through these, so a name is spelled once.

// `<prefix>.<chain>.events`: a chain's normalized events and block markers.
std::string ChainEventsTopic(std::string_view prefix, std::string_view chain);
// `<prefix>.<chain>.contract_events`: an internal topic, only for a chain
// with contracts indexed by their ABI: ingest's ContractEvents and a copy of
// every block marker of the chain's topic. Only the contract_events
// processor reads it, so the processors of standard events never see
// (and skip) contract events.
std::string ContractEventsTopic(std::string_view prefix, std::string_view chain);
// `<prefix>.user.events`: intents, payments and the API's user clock.
std::string UserEventsTopic(std::string_view prefix);
// `<prefix>.dlq`: dead letters of every stage.
std::string DeadLetterTopic(std::string_view prefix);
// `<prefix>.nft.ownership`: ERC-721 owners and ERC-1155 balances.
std::string OwnershipTopic(std::string_view prefix);
// `<prefix>.token.deltas`: the ERC-20 repartition topic (token_splitter ->
// token_balances and intents; the intents processor's own deltas and marks).
std::string TokenDeltasTopic(std::string_view prefix);
// `<prefix>.token.balances`: ERC-20 balances and supply.
std::string TokenBalancesTopic(std::string_view prefix);
// `<prefix>.intents`: intent transitions.
std::string IntentsTopic(std::string_view prefix);
// `<prefix>.settlements`: per-account settlements and epoch records.
std::string SettlementsTopic(std::string_view prefix);
// `<prefix>.settlement.parts`: each intents task's epoch parts and promises.
std::string SettlementPartsTopic(std::string_view prefix);
// `<prefix>.accruals`: accrual records.
std::string AccrualsTopic(std::string_view prefix);
// `<prefix>.contract.<name>`: the decoded events of one contract indexed by
// its ABI ([[contracts]] `name`), with their retractions.
std::string ContractTopic(std::string_view prefix, std::string_view contract);

}  // namespace chainflow::engine::wire
