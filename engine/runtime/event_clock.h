#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::runtime {

// Event time of a task whose input merges several ordered sources, e.g. the
// token deltas of every upstream splitter partition and the user events of
// its own partition (DESIGN.md §1.2; README.md "Event time").
//
// Each source promises, with each time it reports, that nothing it sends
// later is stamped earlier. The task's watermark is the minimum over ALL of
// the declared sources (a source not heard from yet counts as 0), so the
// watermark depends only on what each source has sent, never on how the
// sources' records interleave in the task's input: any batch size,
// partition count or restart gives the same watermark at the same record
// of every source.
//
// Times are kept in the task's state (`<prefix><source>` -> 8 bytes BE), so
// they commit with the records that moved them. Stateless otherwise: one
// instance can serve any number of tasks. Not thread-safe per StateView.
class EventClock {
 public:
  // `prefix`: the state key prefix (e.g. "w/"); `sources`: every source id
  // the watermark waits for (non-empty).
  EventClock(std::string prefix, std::vector<std::string> sources);

  // Moves `source` to max(its time, `time`) and returns the new watermark.
  // A source not in the declared set is InvalidArgument (the record naming
  // it is poison).
  core::Result<uint64_t> Advance(std::string_view source, uint64_t time,
                                 state::StateView& state) const;
  // The time `source` has reached (0 when never heard from).
  core::Result<uint64_t> SourceTime(std::string_view source, state::StateView& state) const;
  // The minimum over the declared sources.
  core::Result<uint64_t> Watermark(state::StateView& state) const;

  const std::vector<std::string>& sources() const { return sources_; }

 private:
  bool Declared(std::string_view source) const;

  std::string prefix_;
  std::vector<std::string> sources_;
};

// Deadlines at `origin + k * interval` (k >= 1 ... any integer), fired in
// increasing order once a watermark reaches them. The next deadline to fire
// is in state (`key` -> 8 bytes BE); it is set by the first Arm() and only
// moves forward, so every deadline from the first armed one on fires exactly
// once, in order, however far the watermark jumps. Used for hourly
// approvals, epoch ends and daily accruals.
class IntervalTimer {
 public:
  // `interval` > 0.
  IntervalTimer(std::string key, uint64_t origin, uint64_t interval);

  // The first deadline strictly after `t` (a deadline is never at or before
  // the time of what it closes). Times before `origin` map to `origin`.
  uint64_t DeadlineAfter(uint64_t t) const;
  // The deadline whose interval contains `t` ends at DeadlineAfter(t); the
  // interval's index counted from origin (epoch and day numbers).
  uint64_t IndexOf(uint64_t t) const;
  uint64_t origin() const { return origin_; }
  uint64_t interval() const { return interval_; }

  // Makes sure `deadline` (on the grid) will fire: the next deadline
  // becomes min(next, deadline). Callers arm DeadlineAfter(t) for an event
  // time t at or above the watermark, which is never a deadline already
  // fired; re-arming one would only walk the fired (empty) deadlines again.
  // A deadline off the grid is InvalidArgument.
  core::Status Arm(uint64_t deadline, state::StateView& state) const;
  // Calls `fire(deadline)` for each deadline <= `watermark` from the next
  // one on, in order, storing the next after each (so `fire` may Arm later
  // deadlines). Stops at the first error. Without Arm() nothing fires.
  core::Status FireUpTo(uint64_t watermark, state::StateView& state,
                        const std::function<core::Status(uint64_t deadline)>& fire) const;
  // The next deadline to fire; 0 when never armed.
  core::Result<uint64_t> Next(state::StateView& state) const;

 private:
  std::string key_;
  uint64_t origin_;
  uint64_t interval_;
};

// 8-byte big-endian encoding of state times and deadlines.
std::string EncodeTime(uint64_t t);
core::Result<uint64_t> DecodeTime(std::string_view bytes);  // DataLoss unless 8 bytes

}  // namespace chainflow::engine::runtime
