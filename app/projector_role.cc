#include "app/projector_role.h"

#include "app/topics.h"
#include "engine/log/consumer.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

core::Result<std::unique_ptr<log::Consumer>> OpenConsumer(const core::Config& config,
                                                          const std::string& group,
                                                          const std::string& client) {
  log::ConsumerOptions consumer_options;
  consumer_options.brokers = config.kafka.brokers;
  consumer_options.group_id = group;
  consumer_options.client_id = client;
  return log::Consumer::Open(consumer_options);
}

}  // namespace

ProjectorRole::~ProjectorRole() { Stop(); }

core::Status ProjectorRole::Start() {
  RETURN_IF_ERROR(projector_->Start());
  RETURN_IF_ERROR(token_projector_->Start());
  return intents_projector_->Start();
}

void ProjectorRole::Stop() {
  if (projector_) projector_->Stop();
  if (token_projector_) token_projector_->Stop();
  if (intents_projector_) intents_projector_->Stop();
}

core::Status ProjectorRole::status() const {
  if (!projector_->status().ok()) return projector_->status();
  if (!token_projector_->status().ok()) return token_projector_->status();
  return intents_projector_->status();
}

core::Result<std::unique_ptr<ProjectorRole>> ProjectorRole::Open(const core::Config& config,
                                                                 log::Admin& admin) {
  std::unique_ptr<ProjectorRole> role(new ProjectorRole());
  role->nft_topic_ = OwnershipTopic(config);
  role->token_topic_ = TokenBalancesTopic(config);
  role->intents_topic_ = IntentsTopic(config);
  ASSIGN_OR_RETURN(int partitions, admin.PartitionCount(role->nft_topic_));
  ASSIGN_OR_RETURN(int token_partitions, admin.PartitionCount(role->token_topic_));
  ASSIGN_OR_RETURN(int intents_partitions, admin.PartitionCount(role->intents_topic_));
  ASSIGN_OR_RETURN(role->dlq_producer_,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-projector")));
  ASSIGN_OR_RETURN(auto consumer,
                   OpenConsumer(config, "chainflow.projection.nft", "chainflow-projector"));
  ASSIGN_OR_RETURN(auto conn, projections::pg::Connection::Open(config.postgres.url));
  ASSIGN_OR_RETURN(role->projector_,
                   projections::nft::OpenProjector(
                       projections::nft::ProjectorOptionsFor(config, partitions),
                       std::move(consumer), std::move(conn), role->dlq_producer_.get()));
  ASSIGN_OR_RETURN(auto token_consumer, OpenConsumer(config, "chainflow.projection.token",
                                                     "chainflow-projector-token"));
  ASSIGN_OR_RETURN(auto token_conn, projections::pg::Connection::Open(config.postgres.url));
  ASSIGN_OR_RETURN(role->token_projector_,
                   projections::token::OpenProjector(
                       projections::token::ProjectorOptionsFor(config, token_partitions),
                       std::move(token_consumer), std::move(token_conn),
                       role->dlq_producer_.get()));
  ASSIGN_OR_RETURN(auto intents_consumer, OpenConsumer(config, "chainflow.projection.intents",
                                                       "chainflow-projector-intents"));
  ASSIGN_OR_RETURN(auto intents_conn, projections::pg::Connection::Open(config.postgres.url));
  ASSIGN_OR_RETURN(role->intents_projector_,
                   projections::intents::OpenProjector(
                       projections::intents::ProjectorOptionsFor(config, intents_partitions),
                       std::move(intents_consumer), std::move(intents_conn),
                       role->dlq_producer_.get()));
  return role;
}

}  // namespace chainflow::app
