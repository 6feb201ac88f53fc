#include "app/projector_role.h"

#include "app/topics.h"
#include "engine/log/consumer.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

ProjectorRole::~ProjectorRole() {
  if (projector_) projector_->Stop();
}

core::Result<std::unique_ptr<ProjectorRole>> ProjectorRole::Open(const core::Config& config,
                                                                 log::Admin& admin) {
  std::unique_ptr<ProjectorRole> role(new ProjectorRole());
  ASSIGN_OR_RETURN(int partitions, admin.PartitionCount(OwnershipTopic(config)));
  ASSIGN_OR_RETURN(role->dlq_producer_,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-projector")));
  log::ConsumerOptions consumer_options;
  consumer_options.brokers = config.kafka.brokers;
  consumer_options.group_id = "chainflow.projection.nft";
  consumer_options.client_id = "chainflow-projector";
  ASSIGN_OR_RETURN(std::unique_ptr<log::Consumer> consumer, log::Consumer::Open(consumer_options));
  ASSIGN_OR_RETURN(auto conn, projections::pg::Connection::Open(config.postgres.url));
  ASSIGN_OR_RETURN(role->projector_,
                   projections::nft::Projector::Open(
                       projections::nft::ProjectorOptions::FromConfig(config, partitions),
                       std::move(consumer), std::move(conn), role->dlq_producer_.get()));
  return role;
}

}  // namespace chainflow::app
