#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace chainflow::ingest::evm {

// Time as the RPC client sees it: a monotonic clock it can sleep on. The
// seam that lets retry and rate-limit tests run without real sleeps.
class RpcClock {
 public:
  using Duration = std::chrono::nanoseconds;
  virtual ~RpcClock() = default;
  virtual Duration Now() = 0;  // monotonic, arbitrary epoch
  virtual void Sleep(Duration d) = 0;
};

// std::chrono::steady_clock and std::this_thread::sleep_for. Thread-safe.
RpcClock& SteadyRpcClock();

// Exponential backoff with "full jitter": the delay before retry n (0-based)
// is uniform in [0, min(max, initial * 2^n)]. Full jitter spreads clients that
// failed together (a node restart, a 429 burst) instead of having them retry
// in lock step. Not thread-safe (owns its random engine).
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed);
  // The cap for retry `n` (without jitter).
  std::chrono::milliseconds Ceiling(int n) const;
  // A jittered delay for retry `n`.
  std::chrono::milliseconds Delay(int n);

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 rng_;
};

// Parses an HTTP Retry-After value in its delay-seconds form ("7"). The
// HTTP-date form and anything else give nullopt (callers fall back to their
// backoff): JSON-RPC providers send seconds.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

// A token bucket bounding requests per second. Holds up to `burst` tokens
// (at least 1), refilled at `rate` per second. Acquire(n) takes n tokens,
// sleeping on the clock until the bucket holds min(n, burst) of them; n above
// the burst leaves the bucket in debt, so the average rate holds for large
// batches too. rate <= 0 means unlimited (Acquire returns at once).
// Not thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, RpcClock& clock);
  // Returns how long it slept.
  RpcClock::Duration Acquire(double n);

 private:
  void Refill();
  double rate_;
  double burst_;
  double tokens_;
  RpcClock& clock_;
  RpcClock::Duration last_;
};

}  // namespace chainflow::ingest::evm
