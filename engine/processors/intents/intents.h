#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/metrics.h"
#include "engine/core/status.h"
#include "engine/processors/intents/accruals.h"
#include "engine/processors/intents/ledger.h"
#include "engine/processors/intents/lifecycle.h"
#include "engine/processors/intents/options.h"
#include "engine/processors/intents/outputs.h"
#include "engine/processors/intents/payments.h"
#include "engine/processors/intents/settlement.h"
#include "engine/processors/intents/settlement_barrier.h"
#include "engine/processors/intents/state_layout.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::intents {

// The intents processor (README.md is the full spec): the lifecycle of clap
// and gift intents, submitted -> approved | rejected | expired, decided at
// each approval deadline of event time against the payer's available
// balance (its balance as of the deadline minus what approved intents
// reserve).
//
// Inputs, co-partitioned (one task reads partition n of both, keyed
// "<chain>:<token>:<account>"):
//   <prefix>.token.deltas  BalanceDelta (the account's chain balance), the
//                          BlockEnd markers the splitter forwards (chain
//                          event time, one source per upstream partition)
//   <prefix>.user.events   IntentSubmitted, UserClock (user event time)
// Outputs: IntentStatusChanged on <prefix>.intents, keyed by the payer, with
// ids "intent/<intent_id>/<status>"; settlement, accrual and payment
// BalanceDeltas (and SupplyDeltas) and SettlementMarks on the deltas topic;
// EpochPart and SettlementMark on <prefix>.settlement.parts; AccountSettled
// on <prefix>.settlements; AccrualRecorded on <prefix>.accruals.
//
// Deterministic: decisions depend only on each source's own records, never
// on how the two inputs interleave. One instance per task; not thread-safe.
class IntentsProcessor : public runtime::Processor {
 public:
  static constexpr char kName[] = "intents";

  // `metrics` must outlive the processor.
  explicit IntentsProcessor(IntentsOptions options,
                            core::MetricsRegistry& metrics = core::MetricsRegistry::Global());
  // The collaborators refer to members: neither copied nor moved.
  IntentsProcessor(const IntentsProcessor&) = delete;
  IntentsProcessor& operator=(const IntentsProcessor&) = delete;

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;

 private:
  core::Status ApplyDelta(const v1::BalanceDelta& delta, state::StateView& state);
  core::Status ApplyChainClock(const runtime::InputEvent& event, state::StateView& state,
                               runtime::Emitter& out);
  core::Status ApplyUserRequest(const v1::Envelope& envelope, state::StateView& state,
                                runtime::Emitter& out);
  // Advances the user source to `at` and runs the deadlines that passes.
  core::Status AdvanceUser(uint64_t at, state::StateView& state, runtime::Emitter& out);
  // This task's settlement promise after a record (SettlementBarrier).
  core::Status Promise(state::StateView& state, runtime::Emitter& out);
  // Stores the new watermark and runs every approval deadline up to it.
  core::Status AdvanceTo(uint64_t watermark, state::StateView& state, runtime::Emitter& out);
  // Exports how far the chain's finalized blocks have reached this task
  // (README.md "Status"), after upstream partition `upstream` finalized
  // `block`.
  void NoteFinalized(const std::string& chain, int32_t upstream, uint64_t block);
  // One approval deadline (README.md "Deadlines"): approvals, burns,
  // settlement, accruals, in that order.
  core::Status Fire(uint64_t deadline, state::StateView& state, runtime::Emitter& out);

  IntentsOptions options_;
  core::MetricsRegistry& metrics_;
  // Per chain, each upstream partition's finalized block seen by this task
  // (0: none yet). For the status only, so not state: a restarted task
  // reports again from its next BlockEnd.
  std::map<std::string, std::vector<uint64_t>> finalized_;
  uint32_t partition_ = 0;           // of the record being applied: the task's
  runtime::EventClock clock_;        // chain, user and settlement sources: the watermark
  runtime::EventClock input_clock_;  // chain and user sources only: what promises follow
  runtime::IntervalTimer approvals_;
  runtime::IntervalTimer epochs_;    // epoch ends and numbers (never armed)
  runtime::IntervalTimer days_;      // accrual day ends and numbers (never armed)
  // The collaborators, each owning its part of the state (README.md "State
  // layout"); they refer to the members above, so they come after them.
  IntentsOutputs outputs_;
  Ledger ledger_;
  Settlement settlement_;
  Lifecycle lifecycle_;
  Accruals accruals_;
  Payments payments_;
  SettlementBarrier barrier_;
};

// The processor's runtime description: inputs `<prefix>.token.deltas` and
// `<prefix>.user.events` (co-partitioned), output `<prefix>.intents`.
runtime::ProcessorSpec MakeIntentsSpec(const IntentsOptions& options);

}  // namespace chainflow::engine::processors::intents
