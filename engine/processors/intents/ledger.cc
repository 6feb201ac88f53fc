#include "engine/processors/intents/ledger.h"

#include <optional>

#include "engine/processors/intents/future_deltas.h"
#include "engine/runtime/event_clock.h"

namespace chainflow::engine::processors::intents {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

Result<AccountRecord> Ledger::Load(const AccountId& id, state::StateView& state) const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   state.Get(AccountKey(id.chain, id.token, id.account)));
  if (!stored) return AccountRecord{};
  return DecodeAccountRecord(*stored);
}

void Ledger::Store(const AccountId& id, const AccountRecord& record,
                   state::StateView& state) const {
  state.Put(AccountKey(id.chain, id.token, id.account), EncodeAccountRecord(record));
}

Status Ledger::BookNow(const AccountId& id, const NetAmount& amount,
                       state::StateView& state) const {
  ASSIGN_OR_RETURN(AccountRecord record, Load(id, state));
  ASSIGN_OR_RETURN(record.total, Add(record.total, amount));
  Store(id, record, state);
  return Status::Ok();
}

Status Ledger::Book(const AccountId& id, const NetAmount& amount, uint64_t at,
                    state::StateView& state) const {
  RETURN_IF_ERROR(BookNow(id, amount, state));
  ASSIGN_OR_RETURN(uint64_t watermark, ReadWatermark(state));
  if (at < watermark) return Status::Ok();
  // Entries below the watermark are past every deadline still to fire (all
  // deadlines <= watermark have fired): the total already holds them.
  return FutureDeltas(id.chain, id.token, id.account).Add(at, amount, watermark, state);
}

// The total less the deltas stamped at or after `deadline` (those stamped
// before are dropped from the future list).
Result<U256> Ledger::HeldAsOf(const AccountId& id, uint64_t deadline, const AccountRecord& record,
                              state::StateView& state) const {
  ASSIGN_OR_RETURN(NetAmount later,
                   FutureDeltas(id.chain, id.token, id.account).SumFrom(deadline, state));
  ASSIGN_OR_RETURN(NetAmount as_of, Subtract(record.total, later));
  return as_of.Clamped();
}

Result<std::vector<std::pair<Address, AccountRecord>>> Ledger::AccountsOf(
    const std::string& chain, const Address& token, state::StateView& state) const {
  const std::string any = AccountKey(chain, token, Address());
  const std::string prefix = any.substr(0, any.size() - Address().bytes().size());
  std::vector<std::pair<Address, AccountRecord>> accounts;
  Status decoded;
  RETURN_IF_ERROR(state.Scan(prefix, [&](std::string_view key, std::string_view value) {
    auto account = Address::FromBytes(key.substr(prefix.size()));
    auto record = DecodeAccountRecord(value);
    if (!account || !record) {
      decoded = core::DataLossError("intents: bad account record under accrual scan");
      return false;
    }
    accounts.emplace_back(account.value(), record.value());
    return true;
  }));
  RETURN_IF_ERROR(decoded);
  return accounts;
}

}  // namespace chainflow::engine::processors::intents
