#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace chainflow::ingest::evm {

// Predicts when a polled chain's next block will appear, so that a follower
// without a newHeads subscription can ask for the head often only around
// that moment instead of all the time (LiveFollower's caught-up wait).
//
// It learns the block interval from header timestamps (the median of the
// differences between consecutive blocks, whole seconds as the chain keeps
// them) and the phase from the polls themselves: the poll that first sees
// a new head bounds its arrival from above, the poll before it from below
// (before any new head, the first poll's head arrived up to an interval
// before it, so the first window spans a whole interval).
// The next block is expected one interval later; the window to probe in is
// that span widened by a margin (interval / 20, at least two probes and at
// most 250 ms). A window that passes without the block (a missed slot, a
// stalled chain) is followed by the one an interval later, up to
// kMaxMissed; after that there is no window until a poll sees a new head.
//
// Windows that keep missing are not worth their probes: a provider whose
// blocks show up seconds after their slot, and by a varying amount, would
// cost a window's probes a block for nothing. Every arrival while windows
// are on is judged (inside one of them or not); when fewer than half of the
// last kJudged arrivals fell inside, the clock rests: no window for the
// next kRestBlocks blocks (plain polling), then it tries again.
//
// There is no prediction for chains whose median interval is under four
// probes or unknown (fewer than 4 consecutive headers, or timestamps that
// do not move: sub-second chains): the caller then just polls.
//
// Pure logic with an injected clock: every time is an argument. Not
// thread-safe (one follower thread owns it).
class HeadClock {
 public:
  using Clock = std::chrono::steady_clock;

  // `probe`: how often the caller asks for the head inside a window.
  explicit HeadClock(std::chrono::milliseconds probe) : probe_(probe) {}

  // A header the follower fetched (any order; a lower number than the
  // newest known starts over from it, as after a reorg).
  void ObserveHeader(uint64_t number, int64_t timestamp);
  // The node's head as read at `at` (every eth_blockNumber answer). Only a
  // head above every earlier one is an arrival: a load-balanced provider's
  // lagging backend answering a lower head and then the higher one again
  // must not look like a new block.
  void ObserveHead(uint64_t head, Clock::time_point at);

  struct Window {
    Clock::time_point start;
    Clock::time_point end;
  };
  // The next window that ends after `now`, if a block is expected.
  std::optional<Window> Next(Clock::time_point now) const;

  // The learned block interval (0: unknown), for tests and logs.
  std::chrono::milliseconds interval() const { return interval_; }
  // Whether it rests after windows that missed (above), and how often it
  // started to.
  bool resting() const { return head_ < resting_until_; }
  uint64_t rests() const { return rests_; }

  static constexpr int kMaxMissed = 3;
  static constexpr size_t kJudged = 8;
  static constexpr uint64_t kRestBlocks = 64;

 private:
  // The windows from the newest head's arrival on (empty: no prediction).
  std::vector<Window> Windows() const;
  // Records whether a new head seen at `at` arrived inside a window.
  void Judge(uint64_t head, Clock::time_point at);

  std::chrono::milliseconds probe_;
  // The median interval of headers_, computed when they change.
  std::chrono::milliseconds MedianInterval() const;

  std::deque<std::pair<uint64_t, int64_t>> headers_;  // (number, timestamp), ascending
  std::chrono::milliseconds interval_{0};             // MedianInterval() of headers_
  uint64_t head_ = 0;
  std::optional<Clock::time_point> last_probe_;
  // The newest head's arrival lies in [seen_after_, seen_at_].
  std::optional<Clock::time_point> seen_at_;
  Clock::time_point seen_after_;
  std::deque<bool> judged_;  // the last kJudged arrivals: inside a window or not
  uint64_t resting_until_ = 0;
  uint64_t rests_ = 0;
};

}  // namespace chainflow::ingest::evm
