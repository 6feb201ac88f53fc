#include "engine/processors/intents/outputs.h"

#include <fmt/format.h>

#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::intents {

using core::Address;
using core::U256;

IntentsTopics::IntentsTopics(std::string_view prefix)
    : intents(wire::IntentsTopic(prefix)),
      deltas(wire::TokenDeltasTopic(prefix)),
      parts(wire::SettlementPartsTopic(prefix)),
      settlements(wire::SettlementsTopic(prefix)),
      accruals(wire::AccrualsTopic(prefix)) {}

const char* StatusName(v1::IntentStatus status) {
  switch (status) {
    case v1::INTENT_STATUS_SUBMITTED: return "submitted";
    case v1::INTENT_STATUS_APPROVED: return "approved";
    case v1::INTENT_STATUS_REJECTED: return "rejected";
    case v1::INTENT_STATUS_EXPIRED: return "expired";
    case v1::INTENT_STATUS_SETTLED: return "settled";
    default: return "unspecified";
  }
}

IntentsOutputs::IntentsOutputs(std::string_view topic_prefix, core::MetricsRegistry& metrics)
    : topics_(topic_prefix), metrics_(metrics) {}

void IntentsOutputs::Publish(const v1::IntentStatusChanged& change,
                             runtime::Emitter& out) const {
  runtime::OutputEvent event;
  event.topic = topics_.intents;
  auto token = Address::FromBytes(change.token());
  auto payer = Address::FromBytes(change.payer());
  event.key = token && payer ? wire::AccountKey(change.chain(), token.value(), payer.value())
                             : change.chain();
  event.id = fmt::format("intent/{}/{}", change.intent_id(), StatusName(change.status()));
  event.ce_type = wire::kIntentStatusChangedType;
  event.event_time = static_cast<int64_t>(change.decided_at());
  *event.envelope.mutable_intent_status_changed() = change;
  metrics_
      .GetCounter("chainflow_intents_transitions_total", "Intent status changes published",
                  {{"status", StatusName(change.status())}})
      .Inc();
  out.Emit(std::move(event));
}

void IntentsOutputs::SettlementDelta(const v1::IntentStatusChanged& change,
                                     const Address& account, const U256& amount,
                                     v1::BalanceDelta::Direction direction,
                                     runtime::Emitter& out) const {
  runtime::OutputEvent event;
  event.topic = topics_.deltas;
  auto token = Address::FromBytes(change.token()).value();
  event.key = wire::AccountKey(change.chain(), token, account);
  event.id = fmt::format("settle/{}/{}", change.intent_id(),
                         direction == v1::BalanceDelta::DIRECTION_DEBIT ? "debit" : "credit");
  event.ce_type = wire::kBalanceDeltaType;
  event.event_time = static_cast<int64_t>(change.decided_at());
  v1::BalanceDelta* delta = event.envelope.mutable_balance_delta();
  v1::LogRef* log = delta->mutable_log();
  log->set_chain(change.chain());
  log->set_block_timestamp(change.decided_at());
  log->set_contract(change.token());
  log->set_finalized(true);
  delta->set_token(change.token());
  delta->set_account(account.ToBytes());
  delta->set_amount(core::U256ToBigEndianString(amount));
  delta->set_direction(direction);
  delta->set_intent_id(change.intent_id());
  delta->set_origin(v1::BalanceDelta::ORIGIN_SETTLEMENT);
  out.Emit(std::move(event));
}

void IntentsOutputs::OwnDelta(const std::string& chain, const Address& token,
                              const Address& account, const U256& amount, bool credit,
                              v1::BalanceDelta::Origin origin, const std::string& request_id,
                              uint64_t at, runtime::Emitter& out) const {
  v1::LogRef log;
  log.set_chain(chain);
  log.set_block_timestamp(at);
  log.set_contract(token.ToBytes());
  log.set_finalized(true);
  const std::string bytes = core::U256ToBigEndianString(amount);
  const std::string account_key = wire::AccountKey(chain, token, account);

  runtime::OutputEvent balance;
  balance.topic = topics_.deltas;
  balance.key = account_key;
  balance.id = fmt::format("{}/{}", request_id, account_key);
  balance.ce_type = wire::kBalanceDeltaType;
  balance.event_time = static_cast<int64_t>(at);
  v1::BalanceDelta* delta = balance.envelope.mutable_balance_delta();
  *delta->mutable_log() = log;
  delta->set_token(token.ToBytes());
  delta->set_account(account.ToBytes());
  delta->set_amount(bytes);
  delta->set_direction(credit ? v1::BalanceDelta::DIRECTION_CREDIT
                              : v1::BalanceDelta::DIRECTION_DEBIT);
  delta->set_origin(origin);
  delta->set_request_id(request_id);
  out.Emit(std::move(balance));

  runtime::OutputEvent supply;
  supply.topic = topics_.deltas;
  supply.key = wire::SupplyKey(chain, token);
  supply.id = fmt::format("{}/{}/supply", request_id, account_key);
  supply.ce_type = wire::kSupplyDeltaType;
  supply.event_time = static_cast<int64_t>(at);
  v1::SupplyDelta* minted = supply.envelope.mutable_supply_delta();
  *minted->mutable_log() = log;
  minted->set_token(token.ToBytes());
  minted->set_amount(bytes);
  minted->set_direction(credit ? v1::SupplyDelta::DIRECTION_MINT : v1::SupplyDelta::DIRECTION_BURN);
  out.Emit(std::move(supply));
}

}  // namespace chainflow::engine::processors::intents
