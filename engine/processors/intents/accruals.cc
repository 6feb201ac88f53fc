#include "engine/processors/intents/accruals.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>

#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using core::Status;
using core::U256;

constexpr uint32_t kBasisPoints = 10'000;

}  // namespace

Status Accruals::Arm(const std::string& chain, const Address& token, uint64_t at,
                     state::StateView& state) const {
  if (!options_.Accrues(chain, token)) return Status::Ok();
  ASSIGN_OR_RETURN(uint64_t next, approvals_.Next(state));
  if (next != 0) return Status::Ok();  // armed once: it fires every deadline after
  ASSIGN_OR_RETURN(uint64_t watermark, ReadWatermark(state));
  return approvals_.Arm(approvals_.DeadlineAfter(std::max(watermark, at)), state);
}

Status Accruals::Accrue(uint64_t deadline, state::StateView& state, runtime::Emitter& out) const {
  if (options_.accrual_rate_bps == 0 || options_.accrual_tokens.empty() ||
      (deadline - days_.origin()) % days_.interval() != 0) {
    return Status::Ok();
  }
  for (const IntentsOptions::AccrualToken& t : options_.accrual_tokens) {
    using Accounts = std::vector<std::pair<Address, AccountRecord>>;
    ASSIGN_OR_RETURN(Accounts accounts, ledger_.AccountsOf(t.chain, t.token, state));
    for (const auto& [account, record] : accounts) {
      RETURN_IF_ERROR(AccrueAccount(t, account, record, deadline, state, out));
    }
  }
  return Status::Ok();
}

Status Accruals::AccrueAccount(const IntentsOptions::AccrualToken& t, const Address& account,
                               const AccountRecord& record, uint64_t day_end,
                               state::StateView& state, runtime::Emitter& out) const {
  using Wide = boost::multiprecision::uint512_t;
  const AccountId id{t.chain, t.token, account};
  ASSIGN_OR_RETURN(U256 balance, ledger_.HeldAsOf(id, day_end, record, state));
  if (balance == 0) return Status::Ok();
  const uint64_t day = days_.IndexOf(day_end - 1);
  const std::string accrual_key = AccrualKey(t.chain, t.token, account);
  AccrualState accrual;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(accrual_key));
  if (stored) {
    ASSIGN_OR_RETURN(accrual, DecodeAccrualState(*stored));
  }
  const Wide scaled = Wide(balance) * options_.accrual_rate_bps + accrual.carry;
  const U256 accrued = static_cast<U256>(scaled / kBasisPoints);  // <= balance
  accrual.carry = static_cast<uint32_t>(scaled % kBasisPoints);
  ASSIGN_OR_RETURN(accrual.total, core::CheckedAdd(accrual.total, accrued));
  state.Put(accrual_key, EncodeAccrualState(accrual));

  runtime::OutputEvent event;
  event.topic = outputs_.topics().accruals;
  event.key = wire::AccountKey(t.chain, t.token, account);
  event.id = fmt::format("accrual/{}/{}", day, event.key);
  event.ce_type = wire::kAccrualRecordedType;
  event.event_time = static_cast<int64_t>(day_end);
  v1::AccrualRecorded* recorded = event.envelope.mutable_accrual_recorded();
  recorded->set_day(day);
  recorded->set_end(day_end);
  recorded->set_chain(t.chain);
  recorded->set_token(t.token.ToBytes());
  recorded->set_account(account.ToBytes());
  recorded->set_balance(core::U256ToBigEndianString(balance));
  recorded->set_rate_bps(options_.accrual_rate_bps);
  recorded->set_accrued(core::U256ToBigEndianString(accrued));
  recorded->set_carry(accrual.carry);
  recorded->set_total_accrued(core::U256ToBigEndianString(accrual.total));
  out.Emit(std::move(event));
  if (accrued == 0) return Status::Ok();
  RETURN_IF_ERROR(ledger_.BookNow(id, NetAmount{false, accrued}, state));
  outputs_.OwnDelta(t.chain, t.token, account, accrued, true, v1::BalanceDelta::ORIGIN_ACCRUAL,
                    fmt::format("accrual/{}", day), day_end, out);
  return Status::Ok();
}

}  // namespace chainflow::engine::processors::intents
