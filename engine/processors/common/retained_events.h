#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chainflow/v1/events.pb.h"
#include "engine/core/status.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors {

// What a processor keeps of the events of blocks not final yet, so that a
// revert can retract what it emitted for them. Written through the task's
// state, which the runtime's per-block undo log tracks: when a block is
// reverted, the runtime deletes the block's retained keys and hands each
// value to the processor's Retract hook (runtime/processor.h); a BlockEnd
// finalizing the block drops them (Prune). Task-local keys (under '\0'),
// so out of the state digest:
//
//   "\0retained/<chain>/" + block (8 BE) + log index (4 BE) + tag -> value
//   "\0retained_from/<chain>" -> block (8 BE): present while the chain may
//       have retained events, at most the lowest of their blocks, so a
//       BlockEnd reads its due entries only when there are some.
//
// `tag` tells apart several events one processor keeps for one log (a
// contract name, say); empty for one per log. Stateless; any thread.
class RetainedEvents {
 public:
  // Keeps `value` for the event of `log` (the caller skips final blocks:
  // they cannot be reverted).
  static core::Status Keep(const v1::LogRef& log, std::string_view tag, std::string value,
                           state::StateView& state);
  // True for the keys Keep writes (what Retract should act on).
  static bool IsRetainedKey(std::string_view key);
  // Drops the retained events of `chain`'s blocks <= `finalized`.
  static core::Status Prune(const std::string& chain, uint64_t finalized,
                            state::StateView& state);
};

// 8 bytes big-endian, and back (DataLoss unless 8 bytes).
std::string EncodeBlockNumber(uint64_t n);
core::Result<uint64_t> DecodeBlockNumber(std::string_view bytes);

}  // namespace chainflow::engine::processors
