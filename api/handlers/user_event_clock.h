#pragma once

#include <atomic>
#include <cstdint>

#include "api/handlers/intents.h"

namespace chainflow::api::handlers {

// The clock that stamps user events: `received_at` of IntentSubmitted,
// MintRequested and BurnRequested, and the time of UserClock ticks. One
// instance per API process, shared by the write handlers and the ticker.
//
// Now() = max(wall clock, newest chain time observed, previous reading):
//   - it follows a chain whose block time runs ahead of the wall clock
//     (Anvil's evm_increaseTime, a devnet with a skewed clock), so the
//     intents processor's watermark, min(chain clocks, user clock), is not
//     held back by the wall clock (engine/processors/intents/README.md,
//     "Event time");
//   - without chain time (nothing observed, or the chain is behind, as in a
//     replay of history) it is the wall clock;
//   - it never goes backwards, whatever the wall clock or the chain do (an
//     NTP step, a reorg to an earlier block): every reading is >= every
//     earlier reading in this process.
// Credentials (HMAC timestamps, JWT exp, webhook tolerance) are checked
// against the wall clock, not this one: clients sign with theirs.
//
// Thread-safe and lock-free; the readings of concurrent callers are
// ordered by the atomic that holds the last one.
class UserEventClock {
 public:
  explicit UserEventClock(NowFn wall = SystemNow);

  UserEventClock(const UserEventClock&) = delete;
  UserEventClock& operator=(const UserEventClock&) = delete;

  // Unix seconds; see above.
  int64_t Now();

  // Raises the chain time floor to `unix_seconds` (lower values are
  // ignored). Called by ChainTimeFeed with each chain's newest block time.
  void ObserveChainTime(int64_t unix_seconds);

  // The newest chain time observed, 0 before any.
  int64_t chain_time() const { return chain_.load(std::memory_order_acquire); }

  // A NowFn reading this clock, for the handlers and the ticker; the clock
  // must outlive every copy.
  NowFn AsNowFn() {
    return [this] { return Now(); };
  }

 private:
  const NowFn wall_;
  std::atomic<int64_t> chain_{0};
  std::atomic<int64_t> last_{0};
};

}  // namespace chainflow::api::handlers
