#pragma once

#include <cstdint>
#include <string>

#include "engine/core/address.h"
#include "engine/core/status.h"
#include "engine/processors/intents/ledger.h"
#include "engine/processors/intents/options.h"
#include "engine/processors/intents/outputs.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// Daily accruals (README.md "Accruals"): at each day end every account of an
// accrual token earns `accrual_rate_bps` of its balance then, rounded down,
// the remainder carried in ten-thousandths to its next day. Owns the
// accrual records ("r/<chain>/" + token + account -> AccrualState). Holds no
// state of its own; called from the task's thread.
class Accruals {
 public:
  // Every reference must outlive this. `approvals` is the processor's timer
  // (day ends are approval deadlines); `days` gives day ends and numbers.
  Accruals(const IntentsOptions& options, const Ledger& ledger, const IntentsOutputs& outputs,
           const runtime::IntervalTimer& approvals, const runtime::IntervalTimer& days)
      : options_(options), ledger_(ledger), outputs_(outputs), approvals_(approvals), days_(days) {}

  // An account of an accrual token seen at `at`: makes the timer fire from
  // the first deadline after it on, so every day end from then accrues.
  core::Status Arm(const std::string& chain, const core::Address& token, uint64_t at,
                   state::StateView& state) const;
  // At a day end (other deadlines do nothing): accrues every account of each
  // accrual token, sending AccrualRecorded and the accrual's own deltas.
  core::Status Accrue(uint64_t deadline, state::StateView& state, runtime::Emitter& out) const;

 private:
  core::Status AccrueAccount(const IntentsOptions::AccrualToken& token,
                             const core::Address& account, const AccountRecord& record,
                             uint64_t day_end, state::StateView& state,
                             runtime::Emitter& out) const;

  const IntentsOptions& options_;
  const Ledger& ledger_;
  const IntentsOutputs& outputs_;
  const runtime::IntervalTimer& approvals_;
  const runtime::IntervalTimer& days_;
};

}  // namespace chainflow::engine::processors::intents
