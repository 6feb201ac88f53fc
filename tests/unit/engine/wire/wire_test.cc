// The wire contracts: topic names and record keys as DESIGN.md §4 spells
// them, under any prefix.
#include <gtest/gtest.h>

#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::wire {
namespace {

TEST(WireTopicsTest, EveryTopicTakesThePrefix) {
  EXPECT_EQ(ChainEventsTopic("cf", "mainnet"), "cf.mainnet.events");
  EXPECT_EQ(ChainEventsTopic("x", "base"), "x.base.events");
  EXPECT_EQ(ContractEventsTopic("cf", "anvil"), "cf.anvil.contract_events");
  EXPECT_EQ(UserEventsTopic("cf"), "cf.user.events");
  EXPECT_EQ(DeadLetterTopic("cf"), "cf.dlq");
  EXPECT_EQ(OwnershipTopic("x"), "x.nft.ownership");
  EXPECT_EQ(TokenDeltasTopic("cf"), "cf.token.deltas");
  EXPECT_EQ(TokenBalancesTopic("cf"), "cf.token.balances");
  EXPECT_EQ(IntentsTopic("staging"), "staging.intents");
  EXPECT_EQ(SettlementsTopic("cf"), "cf.settlements");
  EXPECT_EQ(SettlementPartsTopic("cf"), "cf.settlement.parts");
  EXPECT_EQ(AccrualsTopic("cf"), "cf.accruals");
  EXPECT_EQ(ContractTopic("cf", "tickets"), "cf.contract.tickets");
}

TEST(WireKeysTest, ContractKeysNameTheChainAndTheContract) {
  EXPECT_EQ(ContractFamilyKey("anvil", "ticket_factory"), "anvil:ticket_factory");
  EXPECT_EQ(ContractTopicKey("anvil", "tickets"), "anvil:tickets");
  EXPECT_EQ(ContractEventType("tickets", "CheckIn"), "chainflow.contract.tickets.CheckIn");
}

TEST(WireKeysTest, AccountAndSupplyKeysAreLowercaseHex) {
  auto token = core::Address::FromHex("0x57A204AA1042f6E66DD7730813f4024114d74f37").value();
  auto account = core::Address::FromHex("0x00000000000000000000000000000000000A11CE").value();
  EXPECT_EQ(AccountKey("mainnet", token, account),
            "mainnet:0x57a204aa1042f6e66dd7730813f4024114d74f37:"
            "0x00000000000000000000000000000000000a11ce");
  EXPECT_EQ(SupplyKey("mainnet", token), "mainnet:0x57a204aa1042f6e66dd7730813f4024114d74f37");
}

TEST(WireKeysTest, TokenKeysNameTheTokenIdInDecimal) {
  auto contract = core::Address::FromHex("0x57A204AA1042f6E66DD7730813f4024114d74f37").value();
  const core::U256 max = ~core::U256(0);
  EXPECT_EQ(TokenKey("mainnet", contract, 4675),
            "mainnet:0x57a204aa1042f6e66dd7730813f4024114d74f37:4675");
  EXPECT_EQ(TokenKey("base", contract, max),
            "base:0x57a204aa1042f6e66dd7730813f4024114d74f37:" + core::U256ToDecimal(max));
  // The rendered-parts forms build the same keys.
  EXPECT_EQ(TokenKeyOf("mainnet", contract.ToHex(), "4675"), TokenKey("mainnet", contract, 4675));
  EXPECT_EQ(AccountKeyOf("mainnet", contract.ToHex(), contract.ToHex()),
            AccountKey("mainnet", contract, contract));
}

TEST(WireKeysTest, ForwardedMarkerKeysNameTheUpstreamPartition) {
  EXPECT_EQ(ForwardedMarkerKey("mainnet", 7), "mainnet/7");
  EXPECT_EQ(ForwardedMarkerPartition("mainnet/7", "mainnet"), 7);
  EXPECT_EQ(ForwardedMarkerPartition("mainnet/12", "mainnet"), 12);
  EXPECT_EQ(ForwardedMarkerPartition("base/7", "mainnet"), std::nullopt);
  EXPECT_EQ(ForwardedMarkerPartition("mainnet/", "mainnet"), std::nullopt);
  EXPECT_EQ(ForwardedMarkerPartition("mainnet/7x", "mainnet"), std::nullopt);
  EXPECT_EQ(ForwardedMarkerPartition("mainnet/-1", "mainnet"), std::nullopt);
  EXPECT_EQ(ForwardedMarkerPartition("intents/3", "mainnet"), std::nullopt);
}

}  // namespace
}  // namespace chainflow::engine::wire
