#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::ingest::common {

// Where a record sits in its chain's total order: (block number, log index,
// sub-index). Batch elements of one log differ only in `sub`. A block's
// markers (BlockEnd) use log_index = kMarkerLogIndex, so they sort after
// every log of their block and before the next block.
//
// Every record ingest appends carries it in the header `cf_pos` as the text
// "<block>:<log_index>:<sub>" in plain decimal, e.g. "12253142:0:0" or
// "12253142:4294967295:0" for a BlockEnd. The format is stable: resuming
// writers parse it from the last record of each partition.
struct Position {
  uint64_t block = 0;
  uint32_t log_index = 0;
  uint32_t sub = 0;

  auto operator<=>(const Position&) const = default;

  static constexpr uint32_t kMarkerLogIndex = std::numeric_limits<uint32_t>::max();
  static Position BlockEnd(uint64_t block) { return Position{block, kMarkerLogIndex, 0}; }
  bool IsBlockEnd() const { return log_index == kMarkerLogIndex; }

  std::string ToString() const;
  // Parses the `cf_pos` text; InvalidArgument on anything else.
  static core::Result<Position> Parse(std::string_view text);
};

// The name of the position header.
inline constexpr std::string_view kPositionHeader = "cf_pos";

}  // namespace chainflow::ingest::common
