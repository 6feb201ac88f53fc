#include "engine/processors/intents/lifecycle.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/processors/common/event_fields.h"
#include "engine/processors/intents/intent_queue.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

bool IsIntentId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Result<uint64_t> Lifecycle::Submit(const v1::IntentSubmitted& intent, uint64_t user_time,
                                   state::StateView& state, runtime::Emitter& out) const {
  if (!IsIntentId(intent.intent_id())) {
    return core::InvalidArgumentError(fmt::format(
        "intent_submitted.intent_id \"{}\" is not 32 lowercase hex digits", intent.intent_id()));
  }
  RETURN_IF_ERROR(ValidateChain(intent.chain()).WithContext("intent_submitted.chain"));
  ASSIGN_OR_RETURN(Address token, ParseAddress(intent.token(), "intent_submitted.token"));
  ASSIGN_OR_RETURN(Address payer, ParseAddress(intent.payer(), "intent_submitted.payer"));
  ASSIGN_OR_RETURN(Address payee, ParseAddress(intent.payee(), "intent_submitted.payee"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(intent.amount(), "intent_submitted.amount"));
  if (amount == 0) return core::InvalidArgumentError("intent_submitted.amount is 0");
  if (intent.kind() != v1::INTENT_KIND_CLAP && intent.kind() != v1::INTENT_KIND_GIFT) {
    return core::InvalidArgumentError("intent_submitted.kind is not clap or gift");
  }
  const uint64_t at = std::max<uint64_t>(intent.received_at(), user_time);
  ASSIGN_OR_RETURN(std::optional<std::string> existing, state.Get(IntentKey(intent.intent_id())));
  if (existing) return at;  // appended twice (a retried POST): same id, same intent

  // Late rule (README.md "Event time").
  if (at > intent.received_at()) {
    metrics_
        .GetCounter("chainflow_intents_late_total",
                    "Intents stamped before the user clock had passed; taken at the clock's time",
                    {{"chain", intent.chain()}})
        .Inc();
  }
  v1::IntentStatusChanged change;
  change.set_intent_id(intent.intent_id());
  change.set_kind(intent.kind());
  change.set_chain(intent.chain());
  change.set_token(token.ToBytes());
  change.set_payer(payer.ToBytes());
  change.set_payee(payee.ToBytes());
  change.set_amount(core::U256ToBigEndianString(amount));
  change.set_memo(intent.memo());
  change.set_submitted_at(at);
  change.set_decided_at(at);
  uint64_t expires_at = at + options_.ttl_s;
  if (intent.has_delegation() && intent.delegation().expires_at() != 0) {
    expires_at = std::min<uint64_t>(expires_at, intent.delegation().expires_at());
  }
  change.set_expires_at(expires_at);
  change.set_epoch(epochs_.IndexOf(at));

  if (!options_.Approves(intent.chain()) || payer == payee) {
    change.set_status(v1::INTENT_STATUS_REJECTED);
    change.set_reason(payer == payee
                          ? "payer and payee are the same account"
                          : fmt::format("chain \"{}\" is not in intents.chains", intent.chain()));
  } else {
    change.set_status(v1::INTENT_STATUS_SUBMITTED);
    const uint64_t deadline = approvals_.DeadlineAfter(at);
    Enqueue(QueuePrefix(deadline), {at, intent.intent_id()}, state);
    RETURN_IF_ERROR(approvals_.Arm(deadline, state));
  }
  StoreIntent(change, state);
  outputs_.Publish(change, out);
  return at;
}

Status Lifecycle::Approve(uint64_t deadline, state::StateView& state,
                          runtime::Emitter& out) const {
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> queue, TakeQueue(QueuePrefix(deadline), state));
  for (const QueuedIntent& queued : queue) {
    RETURN_IF_ERROR(Decide(queued, deadline, state, out));
  }
  return Status::Ok();
}

// Approves, rejects or expires one queued intent at `deadline`.
Status Lifecycle::Decide(const QueuedIntent& queued, uint64_t deadline, state::StateView& state,
                         runtime::Emitter& out) const {
  ASSIGN_OR_RETURN(std::optional<v1::IntentStatusChanged> stored,
                   LoadIntent(queued.intent_id, state));
  if (!stored) {
    return core::DataLossError(fmt::format("queued intent {} has no record", queued.intent_id));
  }
  v1::IntentStatusChanged& change = *stored;
  if (change.status() != v1::INTENT_STATUS_SUBMITTED) return Status::Ok();
  ASSIGN_OR_RETURN(Address token, Address::FromBytes(change.token()));
  ASSIGN_OR_RETURN(Address payer, Address::FromBytes(change.payer()));
  ASSIGN_OR_RETURN(U256 amount, core::U256FromBigEndian(change.amount()));

  const AccountId id{change.chain(), token, payer};
  ASSIGN_OR_RETURN(AccountRecord account, ledger_.Load(id, state));
  ASSIGN_OR_RETURN(U256 held, ledger_.HeldAsOf(id, deadline, account, state));
  const U256 available = Ledger::Available(held, account);

  change.set_previous_status(change.status());
  change.set_decided_at(deadline);
  change.set_available(core::U256ToBigEndianString(available));
  if (change.expires_at() < deadline) {
    change.set_status(v1::INTENT_STATUS_EXPIRED);
    change.set_reason(fmt::format("expired at {}, before the approval at {}",
                                  change.expires_at(), deadline));
  } else if (available >= amount) {
    change.set_status(v1::INTENT_STATUS_APPROVED);
    account.reserved += amount;  // <= held <= 2^256-1: cannot wrap
    ledger_.Store(id, account, state);
    // The epoch's end fires after this deadline (or is this one: then its
    // settlement follows these approvals in the same firing).
    const uint64_t epoch_end = settlement_.Queue(change, state);
    if (epoch_end != deadline) RETURN_IF_ERROR(approvals_.Arm(epoch_end, state));
  } else {
    change.set_status(v1::INTENT_STATUS_REJECTED);
    change.set_reason(fmt::format("insufficient available balance: {} available < {} amount",
                                  core::U256ToDecimal(available), core::U256ToDecimal(amount)));
  }
  StoreIntent(change, state);
  outputs_.Publish(change, out);
  return Status::Ok();
}

}  // namespace chainflow::engine::processors::intents
