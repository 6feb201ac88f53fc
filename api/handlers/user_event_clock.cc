#include "api/handlers/user_event_clock.h"

#include <algorithm>

namespace chainflow::api::handlers {

namespace {

// a := max(a, v); returns the new value.
int64_t RaiseTo(std::atomic<int64_t>& a, int64_t v) {
  int64_t seen = a.load(std::memory_order_acquire);
  while (seen < v && !a.compare_exchange_weak(seen, v, std::memory_order_acq_rel)) {
  }
  return std::max(seen, v);
}

}  // namespace

UserEventClock::UserEventClock(NowFn wall) : wall_(std::move(wall)) {}

int64_t UserEventClock::Now() {
  const int64_t candidate = std::max(wall_(), chain_.load(std::memory_order_acquire));
  return RaiseTo(last_, candidate);
}

void UserEventClock::ObserveChainTime(int64_t unix_seconds) { RaiseTo(chain_, unix_seconds); }

}  // namespace chainflow::api::handlers
