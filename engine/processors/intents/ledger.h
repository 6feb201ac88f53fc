#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/core/u256.h"
#include "engine/processors/common/net_amount.h"
#include "engine/processors/intents/state_layout.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// One token account of one chain.
struct AccountId {
  std::string chain;
  core::Address token;
  core::Address account;
};

// The balances the intents processor decides on (README.md "Balances as of a
// deadline"). Owns the account records ("b/<chain>/" + token + account:
// every delta seen, signed, and what approved intents reserve) and their
// future deltas ("\0t/f/", "\0t/fs/", FutureDeltas). Holds no state of its
// own; const methods, called from the task's thread.
class Ledger {
 public:
  core::Result<AccountRecord> Load(const AccountId& id, state::StateView& state) const;
  void Store(const AccountId& id, const AccountRecord& record, state::StateView& state) const;

  // Counts `amount` in the account's total. Stamped at or after the
  // watermark, it is also remembered as a future delta, so a deadline before
  // `at` leaves it out.
  core::Status Book(const AccountId& id, const NetAmount& amount, uint64_t at,
                    state::StateView& state) const;
  // Counts `amount` in the total only: for amounts booked at a deadline that
  // is firing (every later deadline counts them).
  core::Status BookNow(const AccountId& id, const NetAmount& amount,
                       state::StateView& state) const;

  // The account's balance as of `deadline` (every delta stamped before it),
  // 0 while negative. `record` is the account's, as loaded.
  core::Result<core::U256> HeldAsOf(const AccountId& id, uint64_t deadline,
                                    const AccountRecord& record, state::StateView& state) const;
  // `held` less the record's reservations, 0 below.
  static core::U256 Available(const core::U256& held, const AccountRecord& record) {
    return held > record.reserved ? held - record.reserved : core::U256(0);
  }

  // Every account of a token with a record, in address order.
  core::Result<std::vector<std::pair<core::Address, AccountRecord>>> AccountsOf(
      const std::string& chain, const core::Address& token, state::StateView& state) const;
};

}  // namespace chainflow::engine::processors::intents
