// LiveFollower's thread: Start/Stop, the wait between steps and its
// wake-ups (NotifyNewHead from a head subscription). The steps themselves
// are in live_follower.cc.
#include <algorithm>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "ingest/evm/live_follower.h"

namespace chainflow::ingest::evm {
namespace {

core::Labels ChainLabels(const std::string& chain) { return {{"chain", chain}}; }

}  // namespace

void LiveFollower::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void LiveFollower::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::Status LiveFollower::last_status() const {
  std::lock_guard lock(mu_);
  return last_status_;
}

void LiveFollower::NotifyNewHead(uint64_t number) {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
    if (number > announced_ && number > ingested()) {
      announced_ = number;
      announced_at_ = std::chrono::steady_clock::now();
    }
  }
  wake_.notify_all();
}

void LiveFollower::SetHeadSubscriptionLive(bool live) {
  head_live_.store(live);
  wake_.notify_all();  // a wait chosen for the other mode is re-chosen
}

std::chrono::milliseconds LiveFollower::CaughtUpWait() const {
  std::chrono::milliseconds poll(chain_.poll_interval_ms);
  if (!head_live_.load()) return poll;
  return std::max(poll, std::chrono::milliseconds(30'000));
}

void LiveFollower::ObserveHeadLatency() {
  std::lock_guard lock(mu_);
  if (announced_ == 0 || ingested() < announced_) return;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - announced_at_).count();
  core::MetricsRegistry::Global()
      .GetHistogram("chainflow_ingest_head_latency_seconds",
                    "From a newHeads notification to its block appended",
                    ChainLabels(chain_.name), core::DefaultLatencyBuckets())
      .Observe(seconds);
  announced_ = 0;
}

void LiveFollower::ObserveHead(uint64_t head) {
  const uint64_t rests = head_clock_.rests();
  head_clock_.ObserveHead(head, HeadClock::Clock::now());
  if (head_clock_.rests() > rests) {
    core::Logger("ingest.evm")
        ->info("[{}] fewer than half of the last {} blocks came inside their predicted "
               "windows: polling only, every {} ms, for the next {} blocks",
               chain_.name, HeadClock::kJudged, chain_.poll_interval_ms,
               HeadClock::kRestBlocks);
  }
}

bool LiveFollower::HeadMoved() {
  auto head = rpc_.BlockNumber();
  if (!head) return true;
  ObserveHead(head.value());
  // Only a higher head: a lower one (a lagging backend behind a load
  // balancer, or a shorter branch) is left to the next poll's step, so the
  // probes add no chances to mistake a lagging node for a reorg.
  return head.value() > stepped_head_;
}

void LiveFollower::WaitCaughtUp(std::unique_lock<std::mutex>& lock) {
  const auto started = HeadClock::Clock::now();
  const std::chrono::milliseconds probe = head_probe_;
  while (!stop_ && !woken_) {
    // Re-chosen when the subscription goes up or down meanwhile.
    auto deadline = started + CaughtUpWait();
    auto now = HeadClock::Clock::now();
    if (now >= deadline) return;
    std::optional<HeadClock::Window> window;
    if (probe.count() > 0 && !head_live_.load()) window = head_clock_.Next(now);
    if (window && window->start <= now) {
      lock.unlock();
      bool moved = HeadMoved();
      lock.lock();
      if (moved) return;
      wake_.wait_until(lock, std::min(deadline, now + probe));
      continue;
    }
    wake_.wait_until(lock, window ? std::min(deadline, window->start) : deadline);
  }
}

void LiveFollower::Loop() {
  auto log = core::Logger("ingest.evm");
  std::chrono::milliseconds backoff(100);
  while (true) {
    std::chrono::milliseconds wait(0);
    core::Status status;
    bool caught_up = false;
    try {
      auto blocks = RunOnce();
      if (blocks) {
        backoff = std::chrono::milliseconds(100);
        ObserveHeadLatency();
        caught_up = blocks.value() == 0;
      } else {
        status = blocks.error();
      }
    } catch (const std::exception& e) {
      status = core::InternalError(fmt::format("live follower: {}", e.what()));
    }
    {
      std::unique_lock lock(mu_);
      last_status_ = status;
      if (!status.ok()) {
        if (!core::IsRetryable(status)) {
          log->error("[{}] live ingest stopped: {}", chain_.name, status.ToString());
          return;
        }
        log->warn("[{}] live ingest retrying in {} ms: {}", chain_.name, backoff.count(),
                  status.ToString());
        wait = backoff;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
        if (wake_.wait_for(lock, wait, [this] { return stop_; })) return;
        continue;
      }
      if (caught_up) WaitCaughtUp(lock);
      if (stop_) return;
      woken_ = false;
    }
  }
}

}  // namespace chainflow::ingest::evm
