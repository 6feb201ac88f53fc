#include "ingest/evm/rpc_policy.h"

#include <algorithm>
#include <charconv>
#include <thread>

namespace chainflow::ingest::evm {
namespace {

class SteadyClock final : public RpcClock {
 public:
  Duration Now() override { return std::chrono::steady_clock::now().time_since_epoch(); }
  void Sleep(Duration d) override {
    if (d > Duration::zero()) std::this_thread::sleep_for(d);
  }
};

}  // namespace

RpcClock& SteadyRpcClock() {
  static SteadyClock clock;
  return clock;
}

Backoff::Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      rng_(seed) {}

std::chrono::milliseconds Backoff::Ceiling(int n) const {
  // Doubling stops once it reaches max_ (which also keeps it from overflowing).
  std::chrono::milliseconds ceiling = initial_;
  for (int i = 0; i < n && ceiling < max_; ++i) ceiling *= 2;
  return std::min(ceiling, max_);
}

std::chrono::milliseconds Backoff::Delay(int n) {
  std::uniform_int_distribution<int64_t> pick(0, Ceiling(n).count());
  return std::chrono::milliseconds(pick(rng_));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error != std::errc() || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;
  }
  // A day is beyond any sane answer; clamping keeps the product from overflowing.
  return std::chrono::milliseconds(std::min<int64_t>(seconds, 86'400) * 1000);
}

TokenBucket::TokenBucket(double rate, double burst, RpcClock& clock)
    : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_), clock_(clock),
      last_(clock.Now()) {}

void TokenBucket::Refill() {
  RpcClock::Duration now = clock_.Now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
}

RpcClock::Duration TokenBucket::Acquire(double n) {
  if (rate_ <= 0) return RpcClock::Duration::zero();
  Refill();
  double need = std::min(n, burst_);
  RpcClock::Duration slept = RpcClock::Duration::zero();
  if (tokens_ < need) {
    auto wait = std::chrono::duration_cast<RpcClock::Duration>(
        std::chrono::duration<double>((need - tokens_) / rate_));
    clock_.Sleep(wait);
    slept = wait;
    Refill();
    // Rounding must not let the caller through short of tokens twice in a
    // row: we waited for exactly `need`.
    tokens_ = std::max(tokens_, need);
  }
  tokens_ -= n;
  return slept;
}

}  // namespace chainflow::ingest::evm
