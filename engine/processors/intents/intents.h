#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/metrics.h"
#include "engine/core/status.h"
#include "engine/processors/intents/state_layout.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::intents {

// What the processor needs of the configuration ([intents], [kafka]).
struct IntentsOptions {
  std::string topic_prefix = "cf";
  // Chains whose intents are approved; the event time waits for every
  // upstream partition of each (README.md "Event time").
  std::vector<std::string> chains;
  int32_t upstream_partitions = 1;  // partitions of each chain's events topic
  int32_t partitions = 1;           // of its own inputs: one settlement promise per task
  uint64_t approval_interval_s = 3600;
  uint64_t ttl_s = 86'400;
  uint64_t epoch_genesis = 0;
  uint64_t epoch_length_s = 604'800;
  // Daily accruals (README.md "Accruals"): every account's balance of these
  // tokens earns `accrual_rate_bps` basis points per `accrual_period_s` (a
  // multiple of approval_interval_s), counted from epoch_genesis.
  struct AccrualToken {
    std::string chain;
    core::Address token;
  };
  std::vector<AccrualToken> accrual_tokens;
  uint32_t accrual_rate_bps = 0;
  uint64_t accrual_period_s = 86'400;
};

// The SHA-256 of one settlement decision (README.md "Epoch digest"); an
// epoch's digest is the sum mod 2^256 of its decisions' hashes.
core::U256 SettlementHash(const v1::IntentStatusChanged& decided);

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

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;

 private:
  bool Enabled(const std::string& chain) const;
  core::Status ApplyDelta(const v1::BalanceDelta& delta, state::StateView& state);
  core::Status NoteSettled(const v1::BalanceDelta& delta, const core::Address& token,
                           const core::Address& account, const core::U256& amount,
                           state::StateView& state) const;
  core::Status SendSettled(uint64_t watermark, state::StateView& state,
                           runtime::Emitter& out) const;
  core::Status ApplyMint(const v1::MintRequested& mint, state::StateView& state,
                         runtime::Emitter& out);
  core::Status ApplyBurn(const v1::BurnRequested& burn, state::StateView& state,
                         runtime::Emitter& out);
  core::Status DecideBurns(uint64_t deadline, state::StateView& state, runtime::Emitter& out);
  core::Status Accrue(uint64_t day_end, state::StateView& state, runtime::Emitter& out);
  // Adds `amount` (signed) to the account's total now, for time `at`.
  core::Status Book(const std::string& chain, const core::Address& token,
                    const core::Address& account, const NetAmount& amount, uint64_t at,
                    bool future, state::StateView& state);
  // A delta the processor made itself (not a settlement), applied at `at`,
  // for token_balances: the BalanceDelta and its SupplyDelta.
  void EmitOwnDelta(const std::string& chain, const core::Address& token,
                    const core::Address& account, const core::U256& amount, bool credit,
                    v1::BalanceDelta::Origin origin, const std::string& request_id, uint64_t at,
                    runtime::Emitter& out) const;
  // Arms the timer for an account of an accrual token seen at `at`.
  core::Status ArmAccruals(const std::string& chain, const core::Address& token, uint64_t at,
                           state::StateView& state) const;
  bool Accrues(const std::string& chain, const core::Address& token) const;
  core::Status ApplyChainClock(const runtime::InputEvent& event, state::StateView& state,
                               runtime::Emitter& out);
  core::Status ApplyIntent(const v1::IntentSubmitted& intent, state::StateView& state,
                           runtime::Emitter& out);
  core::Status ApplyUserClock(const v1::UserClock& clock, state::StateView& state,
                              runtime::Emitter& out);
  // Stores the new watermark and runs every approval deadline up to it.
  core::Status AdvanceTo(uint64_t watermark, state::StateView& state, runtime::Emitter& out);
  core::Status Approve(uint64_t deadline, state::StateView& state, runtime::Emitter& out);
  core::Status Decide(const QueuedIntent& queued, uint64_t deadline, state::StateView& state,
                      runtime::Emitter& out);
  core::Result<NetAmount> BalanceAsOf(const std::string& chain, const core::Address& token,
                                      const core::Address& account, uint64_t deadline,
                                      const AccountRecord& record, state::StateView& state) const;
  core::Status Settle(uint64_t epoch_end, state::StateView& state, runtime::Emitter& out);
  void EmitSettlementDelta(const v1::IntentStatusChanged& change, const core::Address& account,
                           const core::U256& amount, v1::BalanceDelta::Direction direction,
                           runtime::Emitter& out) const;
  core::Status Promise(uint32_t partition, state::StateView& state, runtime::Emitter& out);
  void Publish(const v1::IntentStatusChanged& change, runtime::Emitter& out) const;

  IntentsOptions options_;
  std::string output_topic_;
  std::string deltas_topic_;
  std::string parts_topic_;
  std::string settlements_topic_;
  std::string accruals_topic_;
  uint32_t partition_ = 0;           // of the record being applied: the task's
  runtime::EventClock clock_;        // chain, user and settlement sources: the watermark
  runtime::EventClock input_clock_;  // chain and user sources only: what promises follow
  runtime::IntervalTimer approvals_;
  runtime::IntervalTimer epochs_;    // epoch ends and numbers (never armed)
  runtime::IntervalTimer days_;      // accrual day ends and numbers (never armed)
  core::MetricsRegistry& metrics_;
};

// The processor's runtime description: inputs `<prefix>.token.deltas` and
// `<prefix>.user.events` (co-partitioned), output `<prefix>.intents`.
runtime::ProcessorSpec MakeIntentsSpec(const IntentsOptions& options);

}  // namespace chainflow::engine::processors::intents
