#include "engine/processors/intents/settlement_barrier.h"

#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "engine/processors/intents/state_layout.h"
#include "engine/wire/event_types.h"

namespace chainflow::engine::processors::intents {

core::Status SettlementBarrier::Promise(uint32_t partition, uint64_t input_time,
                                        uint64_t next_deadline, state::StateView& state,
                                        runtime::Emitter& out) const {
  if (input_time == 0) return core::Status::Ok();
  uint64_t through = epochs_.DeadlineAfter(input_time);
  if (next_deadline != 0) through = std::min(through, epochs_.DeadlineAfter(next_deadline - 1));
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(MarkKey()));
  if (stored) {
    ASSIGN_OR_RETURN(uint64_t promised, runtime::DecodeTime(*stored));
    if (through <= promised) return core::Status::Ok();
  }
  state.Put(MarkKey(), runtime::EncodeTime(through));
  runtime::OutputEvent event;
  event.topic = outputs_.topics().deltas;
  event.key = fmt::format("intents/{}", partition);
  event.id = fmt::format("mark/{}/{}", partition, through);
  event.ce_type = wire::kSettlementMarkType;
  event.event_time = static_cast<int64_t>(through);
  event.all_partitions = true;
  event.envelope.mutable_settlement_mark()->set_partition(partition);
  event.envelope.mutable_settlement_mark()->set_through(through);
  runtime::OutputEvent parts_copy = event;  // the epochs processor's barrier
  parts_copy.topic = outputs_.topics().parts;
  out.Emit(std::move(event));
  out.Emit(std::move(parts_copy));
  return core::Status::Ok();
}

}  // namespace chainflow::engine::processors::intents
