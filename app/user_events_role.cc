#include "app/user_events_role.h"

#include <unistd.h>

#include <fmt/format.h>

#include "app/chain_time.h"
#include "app/topics.h"
#include "engine/core/logging.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {
// How often the user event clock re-reads chain time: the delay between a
// block being ingested and the stamps following it (plus one tick).
constexpr std::chrono::milliseconds kChainTimeInterval(500);
}  // namespace

core::Result<std::unique_ptr<UserEventsRole>> UserEventsRole::Open(const core::Config& config,
                                                                   log::Admin& admin,
                                                                   const IngestRole* ingest) {
  std::unique_ptr<UserEventsRole> role(new UserEventsRole());
  const std::string topic = UserEventsTopic(config);
  ASSIGN_OR_RETURN(int partitions, admin.PartitionCount(topic));
  log::ProducerOptions options = ProducerOptionsFor(config, "chainflow-api");
  // Each request waits for its record's acknowledgement: no batching delay.
  options.properties.insert_or_assign("linger.ms", std::string("0"));
  ASSIGN_OR_RETURN(role->producer_, log::Producer::Open(options));
  ASSIGN_OR_RETURN(role->store_,
                   api::handlers::RocksDedupStore::Open(config.intents.idempotency_dir));
  role->output_.sink = role->producer_.get();
  role->output_.store = role->store_.get();
  role->output_.topic = topic;
  role->output_.partitions = partitions;
  role->clock_ = std::make_unique<api::handlers::UserEventClock>();
  role->output_.stamp = role->clock_->AsNowFn();
  if (!config.intents.ChainList().empty()) {
    role->feed_ = std::make_unique<api::handlers::ChainTimeFeed>(
        *role->clock_, ChainTimeSources(config, admin, ingest), kChainTimeInterval);
    role->feed_->Start();  // reads chain time once before the first tick
  }
  if (config.intents.clock_interval_ms > 0) {
    role->ticker_ = std::make_unique<api::handlers::UserClockTicker>(
        *role->producer_, topic, partitions, fmt::format("api-{}", ::getpid()),
        std::chrono::milliseconds(config.intents.clock_interval_ms), role->clock_->AsNowFn());
    role->ticker_->Start();
  }
  return role;
}

UserEventsRole::~UserEventsRole() { Stop(); }

void UserEventsRole::Stop() {
  if (ticker_) ticker_->Stop();
  if (feed_) feed_->Stop();
  if (producer_ == nullptr) return;
  core::Status flushed = producer_->Flush(std::chrono::seconds(5));
  if (!flushed.ok()) {
    core::Logger("app")->warn("user events producer: final flush: {}", flushed.ToString());
  }
}

}  // namespace chainflow::app
