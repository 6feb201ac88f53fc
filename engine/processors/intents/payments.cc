#include "engine/processors/intents/payments.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/processors/common/event_fields.h"

namespace chainflow::engine::processors::intents {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

Result<bool> Payments::FirstTime(const std::string& provider, const std::string& event_id,
                                 state::StateView& state) const {
  const std::string dedup = PaymentKey(provider, event_id);
  ASSIGN_OR_RETURN(std::optional<std::string> seen, state.Get(dedup));
  if (seen) return false;
  state.Put(dedup, "");
  return true;
}

Result<uint64_t> Payments::Mint(const v1::MintRequested& mint, uint64_t user_time,
                                state::StateView& state, runtime::Emitter& out) const {
  RETURN_IF_ERROR(ValidateChain(mint.chain()).WithContext("mint_requested.chain"));
  ASSIGN_OR_RETURN(Address token, ParseAddress(mint.token(), "mint_requested.token"));
  ASSIGN_OR_RETURN(Address account, ParseAddress(mint.account(), "mint_requested.account"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(mint.amount(), "mint_requested.amount"));
  if (amount == 0) return core::InvalidArgumentError("mint_requested.amount is 0");
  if (account.IsZero()) return core::InvalidArgumentError("mint_requested.account is zero");
  if (mint.provider().empty() || mint.provider_event_id().empty()) {
    return core::InvalidArgumentError("mint_requested without provider and provider_event_id");
  }
  const uint64_t at = std::max<uint64_t>(mint.received_at(), user_time);
  if (!options_.Approves(mint.chain())) return at;
  ASSIGN_OR_RETURN(bool first, FirstTime(mint.provider(), mint.provider_event_id(), state));
  if (!first) return at;
  const AccountId id{mint.chain(), token, account};
  RETURN_IF_ERROR(ledger_.Book(id, NetAmount{false, amount}, at, state));
  RETURN_IF_ERROR(accruals_.Arm(mint.chain(), token, at, state));
  outputs_.OwnDelta(mint.chain(), token, account, amount, true,
                    v1::BalanceDelta::ORIGIN_MINT_REQUEST,
                    fmt::format("mint/{}/{}", mint.provider(), mint.provider_event_id()), at, out);
  return at;
}

Result<uint64_t> Payments::Burn(const v1::BurnRequested& burn, uint64_t user_time,
                                state::StateView& state) const {
  RETURN_IF_ERROR(ValidateChain(burn.chain()).WithContext("burn_requested.chain"));
  ASSIGN_OR_RETURN(Address token, ParseAddress(burn.token(), "burn_requested.token"));
  ASSIGN_OR_RETURN(Address account, ParseAddress(burn.account(), "burn_requested.account"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(burn.amount(), "burn_requested.amount"));
  if (amount == 0) return core::InvalidArgumentError("burn_requested.amount is 0");
  if (account.IsZero() || token.IsZero()) {
    return core::InvalidArgumentError("burn_requested.account or .token is the zero address");
  }
  if (burn.provider().empty() || burn.provider_event_id().empty()) {
    return core::InvalidArgumentError("burn_requested without provider and provider_event_id");
  }
  const uint64_t at = std::max<uint64_t>(burn.received_at(), user_time);
  if (!options_.Approves(burn.chain())) return at;
  ASSIGN_OR_RETURN(bool first, FirstTime(burn.provider(), burn.provider_event_id(), state));
  if (!first) return at;
  const uint64_t deadline = approvals_.DeadlineAfter(at);
  // One key per burn, after the deadline's earlier ones (arrival order).
  uint64_t sequence = 0;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(BurnSequenceKey()));
  if (stored) {
    ASSIGN_OR_RETURN(sequence, runtime::DecodeTime(*stored));
  }
  state.Put(BurnSequenceKey(), runtime::EncodeTime(sequence + 1));
  v1::BurnRequested queued = burn;
  queued.set_received_at(at);
  state.Put(BurnQueueKey(deadline, sequence), queued.SerializeAsString());
  RETURN_IF_ERROR(approvals_.Arm(deadline, state));
  return at;
}

Status Payments::DecideBurns(uint64_t deadline, state::StateView& state,
                             runtime::Emitter& out) const {
  ASSIGN_OR_RETURN(std::optional<std::string> any_burns, state.Get(BurnSequenceKey()));
  if (!any_burns) return Status::Ok();  // none was ever queued: no scan at every deadline
  std::vector<std::string> queue;
  RETURN_IF_ERROR(state.Scan(BurnQueuePrefix(deadline),
                             [&](std::string_view key, std::string_view value) {
                               queue.emplace_back(value);
                               state.Delete(key);
                               return true;
                             }));
  for (const std::string& bytes : queue) {
    v1::BurnRequested burn;
    if (!burn.ParseFromString(bytes)) return core::DataLossError("intents: unreadable queued burn");
    ASSIGN_OR_RETURN(Address token, Address::FromBytes(burn.token()));
    ASSIGN_OR_RETURN(Address account, Address::FromBytes(burn.account()));
    ASSIGN_OR_RETURN(U256 amount, core::U256FromBigEndian(burn.amount()));
    const AccountId id{burn.chain(), token, account};
    ASSIGN_OR_RETURN(AccountRecord record, ledger_.Load(id, state));
    ASSIGN_OR_RETURN(U256 held, ledger_.HeldAsOf(id, deadline, record, state));
    if (Ledger::Available(held, record) < amount) {
      metrics_
          .GetCounter("chainflow_burns_refused_total",
                      "Burn requests the account's available balance did not cover",
                      {{"chain", burn.chain()}})
          .Inc();
      continue;
    }
    RETURN_IF_ERROR(ledger_.BookNow(id, NetAmount{true, amount}, state));
    outputs_.OwnDelta(burn.chain(), token, account, amount, false,
                      v1::BalanceDelta::ORIGIN_BURN_REQUEST,
                      fmt::format("burn/{}/{}", burn.provider(), burn.provider_event_id()),
                      deadline, out);
  }
  return Status::Ok();
}

}  // namespace chainflow::engine::processors::intents
