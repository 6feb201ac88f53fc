#pragma once

#include <string>

#include "engine/core/metrics.h"
#include "engine/core/status.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::token_balances {

// The second token processor (README.md is the full spec): exact balances
// per (chain, token, account) and total supply per (chain, token).
//
// Input: Envelopes from `<prefix>.token.deltas` (the splitter's output).
//   BalanceDelta  -> "a/<chain>/<token><account>" net += / -= amount;
//                    emits TokenBalanceChanged keyed "<chain>:<token>:<account>"
//   SupplyDelta   -> "s/<chain>/<token>" net += (mint) / -= (burn) amount;
//                    emits TotalSupplyChanged keyed "<chain>:<token>"
//   retracted deltas (a reorg, from the splitter) -> the same, inverted, with
//                    retracted = true on the output
//   BlockEnd      -> "h/<chain>" head; the copy of source partition p
//                    finalizes p's deltas up to BlockEnd.finalized
//   BlockReverted -> "h/<chain>" head only, no output
//   anything else / no payload / malformed field -> InvalidArgument (poison)
// Output: `<prefix>.token.balances`.
//
// State values are self-contained signed nets (NetAmount) and the highest
// block that changed them, so the final state is the same whatever order the
// deltas of a key arrive in (they come from several upstream partitions). A
// net below zero (partial history, or a debit that overtook its credit) is
// shown as 0 and counted in chainflow_token_balance_underflow_total{chain}
// (chainflow_token_supply_underflow_total for supply).
//
// Reorgs (README.md "Reorgs"): deltas arrive here interleaved from every
// source partition, so absolute per-block undo would depend on that order.
// The splitter retracts a reverted block's deltas instead (the same deltas,
// inverted), which adds up the same in any order; each record counts its
// unfinalized deltas per (block, source partition) so that its block number
// goes back too, and forgets them once that partition's markers finalize
// them.
//
// Deterministic: no clock, randomness or unordered iteration. One instance
// per task; not thread-safe (the runtime calls it from the task's thread).
class TokenBalancesProcessor : public runtime::Processor {
 public:
  static constexpr char kName[] = "token_balances";

  // `metrics` must outlive the processor (tests pass their own registry).
  explicit TokenBalancesProcessor(
      std::string topic_prefix, core::MetricsRegistry& metrics = core::MetricsRegistry::Global());

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;

 private:
  core::Status ApplyBalanceDelta(const v1::BalanceDelta& delta, state::StateView& state,
                                 runtime::Emitter& out);
  core::Status ApplySupplyDelta(const v1::SupplyDelta& delta, state::StateView& state,
                                runtime::Emitter& out);
  core::Status ApplyBlockEnd(const runtime::InputEvent& event, state::StateView& state);
  core::Status Finalize(const std::string& chain, uint32_t source_partition, uint64_t finalized,
                        state::StateView& state);
  void CountRetraction();
  core::Status ApplyBlockReverted(const v1::BlockReverted& marker, state::StateView& state);

  std::string output_topic_;
  core::MetricsRegistry& metrics_;
};

// The balances processor's runtime description: input
// `<prefix>.token.deltas`, output `<prefix>.token.balances`.
runtime::ProcessorSpec MakeBalancesSpec(const std::string& topic_prefix);

}  // namespace chainflow::engine::processors::token_balances
