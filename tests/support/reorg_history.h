#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chainflow/v1/events.pb.h"

namespace chainflow::testing {

// A random, reproducible chain history with reorgs, as ingest would emit
// it (DESIGN.md §1.4), and the canonical branch alone.
struct ReorgHistory {
  // Events, BlockEnds and, on reorgs, BlockReverted markers newest first
  // followed by the new branch. Ends with a block, never with a reorg.
  std::vector<v1::Envelope> with_reorgs;
  // Only the blocks that stayed canonical, with their BlockEnds.
  std::vector<v1::Envelope> canonical;
  int reverted_blocks = 0;
};

// `blocks` blocks built (reverted ones included) on chain `chain`, each with
// 1-4 ERC-721 transfers (mints, transfers, burns) or ERC-1155 transfers over
// `tokens` tokens of two contracts. BlockEnd.finalized trails the head by 6
// blocks; reorgs revert 1-5 blocks, never a final one. No LogRef is final.
ReorgHistory MakeReorgHistory(uint32_t seed, int blocks, int tokens,
                              const std::string& chain = "mainnet");

// The record key of an event (its token), "" for markers (which go to
// every partition).
std::string EventKey(const v1::Envelope& envelope);

}  // namespace chainflow::testing
