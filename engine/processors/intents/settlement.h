#pragma once

#include <cstdint>

#include "engine/core/address.h"
#include "engine/core/status.h"
#include "engine/core/u256.h"
#include "engine/processors/intents/ledger.h"
#include "engine/processors/intents/options.h"
#include "engine/processors/intents/outputs.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// Per-account settlement at epoch ends (README.md "Settlement", "Epoch
// records"). Owns the settlement queues ("\0t/e/" + epoch end: the approved
// intents each end settles) and the AccountSettled records being gathered
// ("\0t/a/", with the list of their epochs under "\0t/ap"). Holds no state
// of its own; called from the task's thread.
class Settlement {
 public:
  // `ledger`, `outputs` and `epochs` (epoch ends and numbers) must outlive
  // this.
  Settlement(const IntentsOptions& options, const Ledger& ledger, const IntentsOutputs& outputs,
             const runtime::IntervalTimer& epochs)
      : options_(options), ledger_(ledger), outputs_(outputs), epochs_(epochs) {}

  // Queues an intent approved now for the end of its epoch, which it returns.
  uint64_t Queue(const v1::IntentStatusChanged& approved, state::StateView& state) const;

  // At an epoch's end (other deadlines do nothing): settles its queue in
  // (submitted_at, intent_id) order. Each intent moves its amount from payer
  // to payee as two BalanceDeltas stamped `epoch_end`, or is rejected when
  // the payer's balance then, less what this round already moved, no longer
  // covers it; either way its reservation ends. Sends this task's EpochPart
  // (`partition` is the task's).
  core::Status Settle(uint64_t epoch_end, uint32_t partition, state::StateView& state,
                      runtime::Emitter& out) const;

  // A settlement delta (`delta.intent_id()` set) came back to its account's
  // task: added to the account's AccountSettled of that epoch.
  core::Status NoteSettled(const v1::BalanceDelta& delta, const core::Address& token,
                           const core::Address& account, const core::U256& amount,
                           state::StateView& state) const;
  // Sends the AccountSettled of every epoch ending before `watermark`: every
  // task has promised past its end, so all its settlement deltas are in.
  core::Status SendSettled(uint64_t watermark, state::StateView& state,
                           runtime::Emitter& out) const;

 private:
  const IntentsOptions& options_;
  const Ledger& ledger_;
  const IntentsOutputs& outputs_;
  const runtime::IntervalTimer& epochs_;
};

// The SHA-256 of one settlement decision (README.md "Epoch digest"); an
// epoch's digest is the sum mod 2^256 of its decisions' hashes.
core::U256 SettlementHash(const v1::IntentStatusChanged& decided);

}  // namespace chainflow::engine::processors::intents
