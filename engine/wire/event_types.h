#pragma once

#include <string>
#include <string_view>

namespace chainflow::engine::wire {

// CloudEvents `ce_type` of every record chainflow writes (DESIGN.md §4):
// "chainflow.<area>.<message>". Consumers route on them without our code.

// Chain events and markers (ingest).
inline constexpr char kErc721TransferType[] = "chainflow.evm.Erc721Transfer";
inline constexpr char kErc20TransferType[] = "chainflow.evm.Erc20Transfer";
inline constexpr char kErc1155TransferSingleType[] = "chainflow.evm.Erc1155TransferSingle";
inline constexpr char kErc1155TransferBatchType[] = "chainflow.evm.Erc1155TransferBatch";
inline constexpr char kBlockEndType[] = "chainflow.evm.BlockEnd";
inline constexpr char kBlockRevertedType[] = "chainflow.evm.BlockReverted";
// User events (API, webhooks).
inline constexpr char kIntentSubmittedType[] = "chainflow.user.IntentSubmitted";
inline constexpr char kUserClockType[] = "chainflow.user.UserClock";
inline constexpr char kMintRequestedType[] = "chainflow.user.MintRequested";
inline constexpr char kBurnRequestedType[] = "chainflow.user.BurnRequested";
// NFT ownership.
inline constexpr char kOwnerChangedType[] = "chainflow.nft.OwnerChanged";
inline constexpr char kErc1155BalanceChangedType[] = "chainflow.nft.Erc1155BalanceChanged";
// Fungible balances.
inline constexpr char kBalanceDeltaType[] = "chainflow.token.BalanceDelta";
inline constexpr char kSupplyDeltaType[] = "chainflow.token.SupplyDelta";
inline constexpr char kTokenBalanceChangedType[] = "chainflow.token.TokenBalanceChanged";
inline constexpr char kTotalSupplyChangedType[] = "chainflow.token.TotalSupplyChanged";
// Intents, settlements, accruals.
inline constexpr char kIntentStatusChangedType[] = "chainflow.intents.IntentStatusChanged";
inline constexpr char kSettlementMarkType[] = "chainflow.intents.SettlementMark";
inline constexpr char kEpochPartType[] = "chainflow.settlements.EpochPart";
inline constexpr char kEpochSettledType[] = "chainflow.settlements.EpochSettled";
inline constexpr char kAccountSettledType[] = "chainflow.settlements.AccountSettled";
inline constexpr char kAccrualRecordedType[] = "chainflow.accruals.AccrualRecorded";
// A ContractEvent on a chain's events topic (ingest). On the contract's own
// topic the type names the contract and event: ContractEventType.
inline constexpr char kContractEventType[] = "chainflow.evm.ContractEvent";
// "chainflow.contract.<contract>.<Event>".
inline std::string ContractEventType(std::string_view contract, std::string_view event) {
  constexpr std::string_view kPrefix = "chainflow.contract.";
  std::string type;
  type.reserve(kPrefix.size() + contract.size() + 1 + event.size());
  type.append(kPrefix).append(contract).append(1, '.').append(event);
  return type;
}

}  // namespace chainflow::engine::wire
