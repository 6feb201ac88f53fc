#include "engine/processors/intents/settlement.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/core/crypto.h"
#include "engine/processors/common/time_list.h"
#include "engine/processors/intents/intent_queue.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using core::Status;
using core::U256;

void AddAmount(std::string* field, const U256& amount) {
  U256 total = field->empty() ? U256(0) : core::U256FromBigEndian(*field).value();
  *field = core::U256ToBigEndianString(total + amount);  // a sum of uint256 deltas: fits
}

}  // namespace

U256 SettlementHash(const v1::IntentStatusChanged& decided) {
  std::string bytes = decided.intent_id();
  bytes.push_back(static_cast<char>(decided.status()));
  bytes += decided.chain();
  bytes.push_back('\0');
  bytes += decided.token();
  bytes += decided.payer();
  bytes += decided.payee();
  bytes += decided.amount();
  bytes += runtime::EncodeTime(decided.decided_at());
  return core::U256FromBigEndian(core::Sha256(bytes)).value();
}

uint64_t Settlement::Queue(const v1::IntentStatusChanged& approved,
                           state::StateView& state) const {
  const uint64_t epoch_end = epochs_.DeadlineAfter(approved.submitted_at());
  Enqueue(SettlementPrefix(epoch_end), {approved.submitted_at(), approved.intent_id()}, state);
  return epoch_end;
}

Status Settlement::Settle(uint64_t epoch_end, uint32_t partition, state::StateView& state,
                          runtime::Emitter& out) const {
  // Approved intents queue for epoch ends only (Queue).
  if ((epoch_end - epochs_.origin()) % epochs_.interval() != 0) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> list, TakeQueue(SettlementPrefix(epoch_end), state));
  if (list.empty()) return Status::Ok();
  std::map<std::string, U256> moved;  // per account key: settled this round, not yet back
  v1::EpochPart part;
  part.set_epoch(epochs_.IndexOf(epoch_end - 1));
  part.set_end(epoch_end);
  part.set_start(epoch_end - options_.epoch_length_s);
  part.set_partition(partition);
  std::map<std::pair<std::string, std::string>, v1::TokenTotal> totals;  // (chain, token)
  U256 digest = 0;
  for (const QueuedIntent& queued : list) {
    ASSIGN_OR_RETURN(std::optional<v1::IntentStatusChanged> stored,
                     LoadIntent(queued.intent_id, state));
    if (!stored || stored->status() != v1::INTENT_STATUS_APPROVED) {
      return core::DataLossError(
          fmt::format("intent {} to settle is not an approved intent", queued.intent_id));
    }
    v1::IntentStatusChanged& change = *stored;
    ASSIGN_OR_RETURN(Address token, Address::FromBytes(change.token()));
    ASSIGN_OR_RETURN(Address payer, Address::FromBytes(change.payer()));
    ASSIGN_OR_RETURN(Address payee, Address::FromBytes(change.payee()));
    ASSIGN_OR_RETURN(U256 amount, core::U256FromBigEndian(change.amount()));
    const AccountId id{change.chain(), token, payer};
    ASSIGN_OR_RETURN(AccountRecord account, ledger_.Load(id, state));
    ASSIGN_OR_RETURN(U256 as_of, ledger_.HeldAsOf(id, epoch_end, account, state));
    U256& already = moved[AccountKey(id.chain, token, payer)];
    const U256 held = as_of > already ? as_of - already : U256(0);
    account.reserved = account.reserved > amount ? account.reserved - amount : U256(0);
    ledger_.Store(id, account, state);
    change.set_previous_status(change.status());
    change.set_decided_at(epoch_end);
    change.set_available(core::U256ToBigEndianString(held));
    if (held >= amount) {
      already += amount;
      change.set_status(v1::INTENT_STATUS_SETTLED);
      outputs_.SettlementDelta(change, payer, amount, v1::BalanceDelta::DIRECTION_DEBIT, out);
      outputs_.SettlementDelta(change, payee, amount, v1::BalanceDelta::DIRECTION_CREDIT, out);
      part.set_settled(part.settled() + 1);
      v1::TokenTotal& total = totals[{change.chain(), change.token()}];
      total.set_chain(change.chain());
      total.set_token(change.token());
      AddAmount(total.mutable_amount(), amount);
      total.set_intents(total.intents() + 1);
    } else {
      part.set_rejected(part.rejected() + 1);
      change.set_status(v1::INTENT_STATUS_REJECTED);
      change.set_reason(fmt::format("balance fell below the reservation: {} held < {} amount "
                                    "at the epoch's end",
                                    core::U256ToDecimal(held), core::U256ToDecimal(amount)));
    }
    digest += SettlementHash(change);  // wraps mod 2^256 (README.md "Epoch digest")
    StoreIntent(change, state);
    outputs_.Publish(change, out);
  }
  for (auto& [token, total] : totals) *part.add_totals() = std::move(total);
  part.set_digest(core::U256ToBigEndianString(digest));
  runtime::OutputEvent event;
  event.topic = outputs_.topics().parts;
  event.key = fmt::format("epoch/{}", part.epoch());
  event.id = fmt::format("part/{}/{}", part.epoch(), partition);
  event.ce_type = wire::kEpochPartType;
  event.event_time = static_cast<int64_t>(epoch_end);
  *event.envelope.mutable_epoch_part() = std::move(part);
  out.Emit(std::move(event));
  return Status::Ok();
}

Status Settlement::NoteSettled(const v1::BalanceDelta& delta, const Address& token,
                               const Address& account, const U256& amount,
                               state::StateView& state) const {
  const v1::LogRef& log = delta.log();
  const uint64_t end = log.block_timestamp();
  const std::string key = AccountSettledKey(end, log.chain(), token, account);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  v1::AccountSettled settled;
  if (stored) {
    if (!settled.ParseFromString(*stored)) {
      return core::DataLossError("intents: unreadable pending AccountSettled");
    }
  } else {
    settled.set_epoch(epochs_.IndexOf(end - 1));
    settled.set_end(end);
    settled.set_chain(log.chain());
    settled.set_token(token.ToBytes());
    settled.set_account(account.ToBytes());
    RETURN_IF_ERROR(AddTime(state, PendingSettledKey(), end));
  }
  if (delta.direction() == v1::BalanceDelta::DIRECTION_DEBIT) {
    AddAmount(settled.mutable_debited(), amount);
    settled.set_paid(settled.paid() + 1);
  } else {
    AddAmount(settled.mutable_credited(), amount);
    settled.set_received(settled.received() + 1);
  }
  state.Put(key, settled.SerializeAsString());
  return Status::Ok();
}

Status Settlement::SendSettled(uint64_t watermark, state::StateView& state,
                               runtime::Emitter& out) const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(PendingSettledKey()));
  if (!stored) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<uint64_t> ends, DecodeTimes(*stored));
  size_t closed = 0;
  while (closed < ends.size() && ends[closed] < watermark) {
    const uint64_t end = ends[closed++];
    Status parsed;
    RETURN_IF_ERROR(state.Scan(
        AccountSettledPrefix() + runtime::EncodeTime(end),
        [&](std::string_view key, std::string_view value) {
          runtime::OutputEvent event;
          v1::AccountSettled* settled = event.envelope.mutable_account_settled();
          if (!settled->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parsed = core::DataLossError("intents: unreadable pending AccountSettled");
            return false;
          }
          state.Delete(key);
          auto token = Address::FromBytes(settled->token()).value();
          auto account = Address::FromBytes(settled->account()).value();
          event.topic = outputs_.topics().settlements;
          event.key = wire::AccountKey(settled->chain(), token, account);
          event.id = fmt::format("settled/{}/{}", settled->epoch(), event.key);
          event.ce_type = wire::kAccountSettledType;
          event.event_time = static_cast<int64_t>(end);
          out.Emit(std::move(event));
          return true;
        }));
    RETURN_IF_ERROR(parsed);
  }
  if (closed == 0) return Status::Ok();
  ends.erase(ends.begin(), ends.begin() + static_cast<ptrdiff_t>(closed));
  if (ends.empty()) {
    state.Delete(PendingSettledKey());
  } else {
    state.Put(PendingSettledKey(), EncodeTimes(ends));
  }
  return Status::Ok();
}

}  // namespace chainflow::engine::processors::intents
