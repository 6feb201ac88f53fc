#include "app/catch_up.h"

#include <algorithm>

#include "app/progress.h"
#include "app/shutdown.h"

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

}  // namespace

core::Status WaitForProcessor(ProcessorRole& processor, const Offsets& ends) {
  ProgressBar bar("process");
  while (!processor.runner().CaughtUp(ends)) {
    if (!processor.runner().failure().ok()) return processor.runner().failure();
    auto [done, total] = Progress(processor.runner().GetPositions(), ends);
    bar.Update(done, total, done);
    if (WaitForShutdown(std::chrono::milliseconds(20))) {
      return core::CancelledError("interrupted");
    }
  }
  auto [done, total] = Progress(processor.runner().GetPositions(), ends);
  bar.Update(done, total, done);
  bar.Finish();
  return core::Status::Ok();
}

core::Status WaitForProjector(ProjectorRole& projector, const Offsets& ends) {
  ProgressBar bar("project");
  for (;;) {
    core::Status st =
        projector.projector().WaitForOffsets(ends, std::chrono::milliseconds(100));
    auto [done, total] = Progress(projector.projector().Positions(), ends);
    bar.Update(done, total, done);
    if (st.code() != core::StatusCode::kDeadlineExceeded) {
      bar.Finish();
      return st;
    }
    if (ShutdownRequested()) return core::CancelledError("interrupted");
  }
}

}  // namespace chainflow::app
