#include "engine/runtime/event_clock.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "engine/core/check.h"

namespace chainflow::engine::runtime {

std::string EncodeTime(uint64_t t) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(t & 0xff);
    t >>= 8;
  }
  return out;
}

core::Result<uint64_t> DecodeTime(std::string_view bytes) {
  if (bytes.size() != 8) {
    return core::DataLossError(fmt::format("stored time has {} bytes, not 8", bytes.size()));
  }
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

namespace {

core::Result<uint64_t> ReadTime(state::StateView& state, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (!stored) return uint64_t{0};
  return DecodeTime(*stored);
}

}  // namespace

// ---- EventClock ------------------------------------------------------------------------

EventClock::EventClock(std::string prefix, std::vector<std::string> sources)
    : prefix_(std::move(prefix)), sources_(std::move(sources)) {
  CF_CHECK(!sources_.empty(), "EventClock {} without sources", prefix_);
}

bool EventClock::Declared(std::string_view source) const {
  return std::find(sources_.begin(), sources_.end(), source) != sources_.end();
}

core::Result<uint64_t> EventClock::SourceTime(std::string_view source,
                                              state::StateView& state) const {
  return ReadTime(state, prefix_ + std::string(source));
}

core::Result<uint64_t> EventClock::Advance(std::string_view source, uint64_t time,
                                           state::StateView& state) const {
  if (!Declared(source)) {
    return core::InvalidArgumentError(
        fmt::format("event time source \"{}\" is not one this task waits for", source));
  }
  const std::string key = prefix_ + std::string(source);
  ASSIGN_OR_RETURN(uint64_t current, ReadTime(state, key));
  if (time > current) state.Put(key, EncodeTime(time));
  return Watermark(state);
}

core::Result<uint64_t> EventClock::Watermark(state::StateView& state) const {
  uint64_t low = std::numeric_limits<uint64_t>::max();
  for (const std::string& source : sources_) {
    ASSIGN_OR_RETURN(uint64_t t, ReadTime(state, prefix_ + source));
    low = std::min(low, t);
  }
  return low;
}

// ---- IntervalTimer ---------------------------------------------------------------------

IntervalTimer::IntervalTimer(std::string key, uint64_t origin, uint64_t interval)
    : key_(std::move(key)), origin_(origin), interval_(interval) {
  CF_CHECK(interval_ > 0, "IntervalTimer {} with interval 0", key_);
}

uint64_t IntervalTimer::DeadlineAfter(uint64_t t) const {
  if (t < origin_) return origin_;
  return origin_ + ((t - origin_) / interval_ + 1) * interval_;
}

uint64_t IntervalTimer::IndexOf(uint64_t t) const {
  if (t < origin_) return 0;
  return (t - origin_) / interval_;
}

core::Result<uint64_t> IntervalTimer::Next(state::StateView& state) const {
  return ReadTime(state, key_);
}

core::Status IntervalTimer::Arm(uint64_t deadline, state::StateView& state) const {
  if (deadline < origin_ || (deadline - origin_) % interval_ != 0) {
    return core::InvalidArgumentError(fmt::format(
        "deadline {} is not origin {} + k * {}", deadline, origin_, interval_));
  }
  ASSIGN_OR_RETURN(uint64_t next, Next(state));
  if (next == 0 || deadline < next) state.Put(key_, EncodeTime(deadline));
  return core::Status::Ok();
}

core::Status IntervalTimer::FireUpTo(
    uint64_t watermark, state::StateView& state,
    const std::function<core::Status(uint64_t deadline)>& fire) const {
  ASSIGN_OR_RETURN(uint64_t next, Next(state));
  if (next == 0) return core::Status::Ok();
  while (next <= watermark) {
    // Store the following deadline first, so `fire` sees (and may Arm
    // relative to) the timer as it will be after this deadline.
    state.Put(key_, EncodeTime(next + interval_));
    RETURN_IF_ERROR(fire(next));
    ASSIGN_OR_RETURN(uint64_t after, Next(state));
    next = after;
  }
  return core::Status::Ok();
}

}  // namespace chainflow::engine::runtime
