#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/processors/common/net_amount.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// One account's future deltas (README.md "Balances as of a deadline"): the
// deltas stamped at or after the watermark when they came, each under its
// own time-ordered key, with a summary (their sum, the earliest time, the
// next sequence). Every operation costs O(1) reads and writes plus one read
// and one delete per entry it drops, whatever the number of entries: an
// append does not read the others, and a balance as of D is the account's
// total less the summary's sum once the entries before D are dropped.
//
// Deadlines only grow, so an entry before the deadline (or the watermark)
// being asked about never counts again: dropping it changes no answer.
// Valid for the duration of a call; not thread-safe (the task's thread).
class FutureDeltas {
 public:
  FutureDeltas(std::string_view chain, const core::Address& token, const core::Address& account);

  // Remembers `amount` at `time` (>= `watermark`), first dropping the
  // entries before `watermark`: they are past every deadline still to fire.
  core::Status Add(uint64_t time, const NetAmount& amount, uint64_t watermark,
                   state::StateView& state) const;
  // The sum of the entries stamped at or after `deadline`; drops the others.
  core::Result<NetAmount> SumFrom(uint64_t deadline, state::StateView& state) const;

 private:
  struct Loaded;
  core::Result<Loaded> Load(state::StateView& state) const;
  // Drops the entries before `time`, keeping `loaded` in step (not stored).
  core::Status DropBefore(uint64_t time, Loaded& loaded, state::StateView& state) const;
  void Store(const Loaded& loaded, state::StateView& state) const;

  std::string prefix_;       // of the entries
  std::string summary_key_;
};

}  // namespace chainflow::engine::processors::intents
