#include "api/handlers/chain_time_feed.h"

#include "engine/core/logging.h"
#include "engine/core/metrics.h"

namespace chainflow::api::handlers {

namespace core = engine::core;

ChainTimeFeed::ChainTimeFeed(UserEventClock& clock, std::vector<Source> sources,
                             std::chrono::milliseconds interval)
    : clock_(clock),
      sources_(std::move(sources)),
      failing_(sources_.size(), false),
      interval_(interval) {}

ChainTimeFeed::~ChainTimeFeed() { Stop(); }

void ChainTimeFeed::RefreshOnce() {
  auto& metrics = core::MetricsRegistry::Global();
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = sources_[i];
    core::Labels labels{{"chain", source.chain}};
    core::Result<std::optional<int64_t>> time = source.newest_block_time();
    if (!time.has_value()) {
      metrics
          .GetCounter("chainflow_api_chain_time_errors_total",
                      "Failed reads of a chain's newest block time for the user clock", labels)
          .Inc();
      auto logger = core::Logger("api.handlers");
      if (!failing_[i]) {
        logger->warn("user clock: newest block time of chain {}: {} (the clock keeps {})",
                     source.chain, time.error().ToString(), clock_.chain_time());
      } else {
        logger->debug("user clock: chain {}: {}", source.chain, time.error().ToString());
      }
      failing_[i] = true;
      continue;
    }
    if (failing_[i]) {
      core::Logger("api.handlers")->info("user clock: chain {} readable again", source.chain);
      failing_[i] = false;
    }
    if (!time.value()) continue;
    clock_.ObserveChainTime(*time.value());
    metrics
        .GetGauge("chainflow_api_chain_time_seconds",
                  "Newest block time of the chain the user clock has seen", labels)
        .Set(static_cast<double>(*time.value()));
  }
}

void ChainTimeFeed::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  RefreshOnce();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      RefreshOnce();
      lock.lock();
    }
  });
}

void ChainTimeFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace chainflow::api::handlers
