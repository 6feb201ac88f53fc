#pragma once

#include <cstdint>
#include <string>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/u256.h"
#include "engine/log/record.h"

namespace chainflow::projections::testing {

// Builders of nft.ownership records for tests.

inline core::Address Addr(uint8_t n) {
  std::array<uint8_t, 20> b{};
  b[0] = 0xAB;  // upper-case hex digits in the input: the views must lowercase
  b[19] = n;
  return n == 0 ? core::Address() : core::Address(b);
}

inline v1::LogRef MakeLog(const std::string& chain, const core::Address& contract,
                          uint64_t block, uint32_t log_index) {
  v1::LogRef log;
  log.set_chain(chain);
  log.set_block_number(block);
  log.set_tx_hash(std::string(32, static_cast<char>(block & 0xff)));
  log.set_log_index(log_index);
  log.set_contract(contract.ToBytes());
  return log;
}

inline std::string OwnerChanged(const v1::LogRef& log, const core::U256& token,
                                const core::Address& previous, const core::Address& owner,
                                bool retracted = false) {
  v1::Envelope env;
  env.set_id("test");
  auto* ev = env.mutable_owner_changed();
  *ev->mutable_log() = log;
  ev->set_token_id(core::U256ToBigEndianString(token));
  ev->set_previous_owner(previous.ToBytes());
  ev->set_owner(owner.ToBytes());
  ev->set_retracted(retracted);
  return env.SerializeAsString();
}

// A retraction whose token did not exist before the reverted block: empty
// previous_owner, `log` with only chain and contract.
inline std::string OwnerRetractedToNothing(const std::string& chain,
                                           const core::Address& contract,
                                           const core::U256& token, const core::Address& owner) {
  v1::Envelope env;
  env.set_id("test");
  auto* ev = env.mutable_owner_changed();
  ev->mutable_log()->set_chain(chain);
  ev->mutable_log()->set_contract(contract.ToBytes());
  ev->set_token_id(core::U256ToBigEndianString(token));
  ev->set_owner(owner.ToBytes());
  ev->set_retracted(true);
  ev->set_reverted_block(99);
  return env.SerializeAsString();
}

inline std::string BalanceChanged(const v1::LogRef& log, const core::U256& token,
                                  const core::Address& owner, const core::U256& balance,
                                  const core::U256& previous, bool retracted = false) {
  v1::Envelope env;
  env.set_id("test");
  auto* ev = env.mutable_erc1155_balance_changed();
  *ev->mutable_log() = log;
  ev->set_token_id(core::U256ToBigEndianString(token));
  ev->set_owner(owner.ToBytes());
  ev->set_balance(core::U256ToBigEndianString(balance));
  ev->set_previous_balance(core::U256ToBigEndianString(previous));
  ev->set_retracted(retracted);
  return env.SerializeAsString();
}

inline engine::log::Record MakeRecord(const std::string& topic, int32_t partition,
                                      int64_t offset, std::string value) {
  engine::log::Record r;
  r.topic = topic;
  r.partition = core::PartitionId(partition);
  r.offset = core::Offset(offset);
  r.key = "k";
  r.value = std::move(value);
  return r;
}

}  // namespace chainflow::projections::testing
