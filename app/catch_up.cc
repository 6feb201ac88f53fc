#include "app/catch_up.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "app/progress.h"
#include "app/shutdown.h"
#include "app/topics.h"
#include "engine/core/logging.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

// Records consumed of `ends` by a consumer at `positions`, and the total.
std::pair<uint64_t, uint64_t> Progress(const Offsets& positions, const Offsets& ends) {
  uint64_t done = 0, total = 0;
  for (const auto& [tp, end] : ends) {
    total += static_cast<uint64_t>(std::max<int64_t>(0, end.value()));
    auto it = positions.find(tp);
    if (it != positions.end() && it->second.value() > 0) {
      done += static_cast<uint64_t>(std::min(it->second.value(), end.value()));
    }
  }
  return {done, total};
}

core::Status WaitForLevel(ProcessorRole& processor, int level, const Offsets& ends) {
  ProgressBar bar(level == 0 ? "process" : fmt::format("process {}", level));
  while (!processor.CaughtUp(level, ends)) {
    if (!processor.failure().ok()) return processor.failure();
    auto [done, total] = Progress(processor.LevelPositions(level), ends);
    bar.Update(done, total, done);
    if (WaitForShutdown(std::chrono::milliseconds(20))) {
      return core::CancelledError("interrupted");
    }
  }
  auto [done, total] = Progress(processor.LevelPositions(level), ends);
  bar.Update(done, total, done);
  bar.Finish();
  return core::Status::Ok();
}

// The entries of `ends` on `topic`.
Offsets OnTopic(const Offsets& ends, const std::string& topic) {
  Offsets out;
  for (const auto& [tp, end] : ends) {
    if (tp.topic == topic) out[tp] = end;
  }
  return out;
}

template <typename P>
core::Status WaitForOne(P& projector, const Offsets& ends, const std::string& label) {
  if (ends.empty()) return core::Status::Ok();
  ProgressBar bar(label);
  for (;;) {
    core::Status st = projector.WaitForOffsets(ends, std::chrono::milliseconds(100));
    auto [done, total] = Progress(projector.Positions(), ends);
    bar.Update(done, total, done);
    if (st.code() != core::StatusCode::kDeadlineExceeded) {
      bar.Finish();
      return st;
    }
    if (ShutdownRequested()) return core::CancelledError("interrupted");
  }
}

}  // namespace

core::Result<Offsets> EndOffsetsOnceReachable(log::Admin& admin,
                                              const std::vector<std::string>& topics) {
  std::chrono::steady_clock::time_point warned{};
  for (;;) {
    auto ends = EndOffsets(admin, topics);
    if (ends.has_value() || !core::IsRetryable(ends.error())) return ends;
    const auto now = std::chrono::steady_clock::now();
    if (now - warned >= std::chrono::seconds(10)) {
      core::Logger("app")->warn("waiting for Kafka to read where the topics end: {}",
                                ends.error().ToString());
      warned = now;
    }
    if (WaitForShutdown(std::chrono::seconds(1))) return core::CancelledError("interrupted");
  }
}

core::Status WaitForProcessor(ProcessorRole& processor, const Offsets& ends) {
  return WaitForLevel(processor, 0, ends);
}

core::Status WaitForProcessors(ProcessorRole& processor, log::Admin& admin) {
  // A processor may write to its own level's inputs or an earlier one's
  // (the intents processor's settlement marks and deltas go back into
  // <prefix>.token.deltas), so one pass can end on stale ends. Passes repeat
  // until one finds every level's ends where the previous pass left them:
  // each level had consumed those ends (and flushed what they caused, the
  // runner commits positions only after its outputs are acknowledged), and
  // no end moved since, so nothing is left for anyone to consume.
  //
  // Under exactly-once a pass must find the ends unmoved twice in a row, a
  // moment apart: outputs are appended inside transactions that the
  // next level can read only once they commit, and one stable pass was seen
  // to end a replay early under load (ReplayIntentsTest: 1,615 intents left
  // undecided, once in five suite runs).
  std::vector<Offsets> waited(static_cast<size_t>(processor.levels()));
  int stable_passes = 0;
  for (bool first = true;; first = false) {
    bool moved = false;
    for (int level = 0; level < processor.levels(); ++level) {
      ASSIGN_OR_RETURN(auto ends, EndOffsetsOnceReachable(admin, processor.LevelInputs(level)));
      Offsets& last = waited[static_cast<size_t>(level)];
      if (ends != last) moved = true;
      // Later passes draw a bar only for a level that has something left.
      if (first || !processor.CaughtUp(level, ends)) {
        RETURN_IF_ERROR(WaitForLevel(processor, level, ends));
      }
      last = std::move(ends);
    }
    stable_passes = moved ? 0 : stable_passes + 1;
    if (stable_passes >= 2) return core::Status::Ok();
    if (!moved && WaitForShutdown(std::chrono::milliseconds(200))) {
      return core::CancelledError("interrupted");
    }
  }
}

core::Status WaitForProjector(ProjectorRole& projector, const Offsets& ends) {
  for (ProjectorRole::Projection& p : projector.projections()) {
    RETURN_IF_ERROR(WaitForOne(*p.projector, OnTopic(ends, p.view.topic), p.view.label));
  }
  return core::Status::Ok();
}

}  // namespace chainflow::app
