#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::ingest::common {

// Where a record sits in its chain's total order: (fork, block number, log
// index, sub-index). Batch elements of one log differ only in `sub`. A
// block's BlockEnd uses log_index = kMarkerLogIndex, so it sorts after every
// log of its block and before the next block.
//
// `fork` counts the reorgs ingest has handled on the chain. A reorg starts a
// new fork: its BlockReverted markers sit at (fork, ancestor,
// kRevertLogIndex, i) for the i-th reverted block (newest first), and the new
// branch's records follow at (fork, ancestor + 1, ...). Everything of a later
// fork sorts after everything of an earlier one, so positions stay strictly
// increasing per partition even though block numbers repeat.
//
// Every record ingest appends carries it in the header `cf_pos`:
// "<block>:<log_index>:<sub>" in plain decimal for fork 0, e.g.
// "12253142:0:0" or "12253142:4294967295:0" for a BlockEnd, and
// "<fork>/<block>:<log_index>:<sub>" for later forks. The format is stable:
// resuming writers parse it from the last record of each partition.
struct Position {
  uint32_t fork = 0;
  uint64_t block = 0;
  uint32_t log_index = 0;
  uint32_t sub = 0;

  auto operator<=>(const Position&) const = default;

  static constexpr uint32_t kMarkerLogIndex = std::numeric_limits<uint32_t>::max();
  static constexpr uint32_t kRevertLogIndex = kMarkerLogIndex - 1;
  static Position BlockEnd(uint32_t fork, uint64_t block) {
    return Position{fork, block, kMarkerLogIndex, 0};
  }
  // The i-th BlockReverted marker (0 = newest reverted block) of the reorg
  // that starts `fork` and continues after `ancestor`.
  static Position Reverted(uint32_t fork, uint64_t ancestor, uint32_t i) {
    return Position{fork, ancestor, kRevertLogIndex, i};
  }
  bool IsBlockEnd() const { return log_index == kMarkerLogIndex; }
  bool IsReverted() const { return log_index == kRevertLogIndex; }

  std::string ToString() const;
  // Appends ToString() to `out`.
  void AppendTo(std::string* out) const;
  // Parses the `cf_pos` text; InvalidArgument on anything else.
  static core::Result<Position> Parse(std::string_view text);
};

// The name of the position header.
inline constexpr std::string_view kPositionHeader = "cf_pos";

}  // namespace chainflow::ingest::common
