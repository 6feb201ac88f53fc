#include "app/user_events_role.h"

#include <unistd.h>

#include <fmt/format.h>

#include "app/topics.h"
#include "engine/core/logging.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

core::Result<std::unique_ptr<UserEventsRole>> UserEventsRole::Open(const core::Config& config,
                                                                   log::Admin& admin) {
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
  if (config.intents.clock_interval_ms > 0) {
    role->ticker_ = std::make_unique<api::handlers::UserClockTicker>(
        *role->producer_, topic, partitions, fmt::format("api-{}", ::getpid()),
        std::chrono::milliseconds(config.intents.clock_interval_ms), api::handlers::SystemNow);
    role->ticker_->Start();
  }
  return role;
}

UserEventsRole::~UserEventsRole() { Stop(); }

void UserEventsRole::Stop() {
  if (ticker_) ticker_->Stop();
  if (producer_ == nullptr) return;
  core::Status flushed = producer_->Flush(std::chrono::seconds(5));
  if (!flushed.ok()) {
    core::Logger("app")->warn("user events producer: final flush: {}", flushed.ToString());
  }
}

}  // namespace chainflow::app
