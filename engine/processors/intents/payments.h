#pragma once

#include <cstdint>

#include "engine/core/metrics.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/processors/intents/accruals.h"
#include "engine/processors/intents/ledger.h"
#include "engine/processors/intents/options.h"
#include "engine/processors/intents/outputs.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// Payments (README.md "Payments"): a mint request is the account's at once;
// a burn request waits for the next approval deadline and is made or
// refused against the available balance then. Owns the applied requests
// ("p/<provider>/<event id>", so a webhook delivered twice counts once), the
// burn queues ("\0t/bq/" + deadline) and their sequence ("\0t/bn"). Holds no
// state of its own; called from the task's thread.
class Payments {
 public:
  // Every reference must outlive this; `approvals` as in Lifecycle.
  Payments(const IntentsOptions& options, const Ledger& ledger, const Accruals& accruals,
           const IntentsOutputs& outputs, const runtime::IntervalTimer& approvals,
           core::MetricsRegistry& metrics)
      : options_(options),
        ledger_(ledger),
        accruals_(accruals),
        outputs_(outputs),
        approvals_(approvals),
        metrics_(metrics) {}

  // Validates and applies a mint request, taken at the later of its
  // `received_at` and `user_time`; returns that time (the user clock's next).
  core::Result<uint64_t> Mint(const v1::MintRequested& mint, uint64_t user_time,
                              state::StateView& state, runtime::Emitter& out) const;
  // Validates and queues a burn request for the deadline after its time;
  // returns that time like Mint.
  core::Result<uint64_t> Burn(const v1::BurnRequested& burn, uint64_t user_time,
                              state::StateView& state) const;
  // Each burn queued for `deadline`, in arrival order, takes its amount from
  // the account's available balance then, or is refused (and counted).
  core::Status DecideBurns(uint64_t deadline, state::StateView& state,
                           runtime::Emitter& out) const;

 private:
  // True the first time a provider's event is seen (then remembered).
  core::Result<bool> FirstTime(const std::string& provider, const std::string& event_id,
                               state::StateView& state) const;

  const IntentsOptions& options_;
  const Ledger& ledger_;
  const Accruals& accruals_;
  const IntentsOutputs& outputs_;
  const runtime::IntervalTimer& approvals_;
  core::MetricsRegistry& metrics_;
};

}  // namespace chainflow::engine::processors::intents
