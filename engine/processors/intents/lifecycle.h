#pragma once

#include <cstdint>

#include "engine/core/metrics.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/processors/intents/ledger.h"
#include "engine/processors/intents/options.h"
#include "engine/processors/intents/outputs.h"
#include "engine/processors/intents/settlement.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// The lifecycle of an intent up to its approval (README.md "Lifecycle"):
// submitted, then approved, rejected or expired at the first approval
// deadline after it. Owns the approval queues ("\0t/q/" + deadline) and
// creates the intent records ("i/", intent_queue.h) that Settlement later
// closes. Holds no state of its own; called from the task's thread.
class Lifecycle {
 public:
  // Every reference must outlive this. `approvals` is the processor's timer:
  // the lifecycle arms it for the deadlines it queues intents for.
  Lifecycle(const IntentsOptions& options, const Ledger& ledger, const Settlement& settlement,
            const IntentsOutputs& outputs, const runtime::IntervalTimer& approvals,
            const runtime::IntervalTimer& epochs, core::MetricsRegistry& metrics)
      : options_(options),
        ledger_(ledger),
        settlement_(settlement),
        outputs_(outputs),
        approvals_(approvals),
        epochs_(epochs),
        metrics_(metrics) {}

  // Validates and records a submitted intent (a second copy of an id is
  // dropped) and queues it for its deadline. `user_time` is the user
  // source's time: an intent stamped before it is taken at it (the late
  // rule). Returns the time the intent was taken at, which the user clock
  // advances to; InvalidArgument names the bad field.
  core::Result<uint64_t> Submit(const v1::IntentSubmitted& intent, uint64_t user_time,
                                state::StateView& state, runtime::Emitter& out) const;
  // Decides the intents queued for `deadline`, in (submitted_at, intent_id)
  // order, against each payer's available balance as of the deadline.
  core::Status Approve(uint64_t deadline, state::StateView& state, runtime::Emitter& out) const;

 private:
  core::Status Decide(const QueuedIntent& queued, uint64_t deadline, state::StateView& state,
                      runtime::Emitter& out) const;

  const IntentsOptions& options_;
  const Ledger& ledger_;
  const Settlement& settlement_;
  const IntentsOutputs& outputs_;
  const runtime::IntervalTimer& approvals_;
  const runtime::IntervalTimer& epochs_;
  core::MetricsRegistry& metrics_;
};

}  // namespace chainflow::engine::processors::intents
