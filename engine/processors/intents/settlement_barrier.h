#pragma once

#include <cstdint>

#include "engine/core/status.h"
#include "engine/processors/intents/outputs.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// This task's settlement promise to the others (README.md "Settlement"): a
// SettlementMark saying it settles nothing more before an epoch end, sent to
// every deltas partition (the intents tasks' barrier) and to the settlement
// parts topic (the epochs processor's). Owns the last promise ("\0t/mark").
// Holds no state of its own; called from the task's thread.
class SettlementBarrier {
 public:
  // `outputs` and `epochs` must outlive this.
  SettlementBarrier(const IntentsOutputs& outputs, const runtime::IntervalTimer& epochs)
      : outputs_(outputs), epochs_(epochs) {}

  // Promises through the epoch end after `input_time` (the chain and user
  // sources' watermark: new intents are stamped at or above it), or the one
  // at or after `next_deadline` (0: none armed) when that is earlier. Sends
  // nothing when that is not past the last promise or `input_time` is 0.
  core::Status Promise(uint32_t partition, uint64_t input_time, uint64_t next_deadline,
                       state::StateView& state, runtime::Emitter& out) const;

 private:
  const IntentsOutputs& outputs_;
  const runtime::IntervalTimer& epochs_;
};

}  // namespace chainflow::engine::processors::intents
