#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "projections/intents/projector.h"
#include "projections/nft/projector.h"
#include "projections/token/projector.h"

namespace chainflow::app {

// The `project` role: the NFT projection (ownership topic), the token
// projection (token balances topic) and the intents projection (intents
// topic) into PostgreSQL, each on its own thread and consumer, sharing a
// producer for dead letters.
class ProjectorRole {
 public:
  static engine::core::Result<std::unique_ptr<ProjectorRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin);
  ~ProjectorRole();

  engine::core::Status Start();
  void Stop();
  projections::pg::Projector& projector() { return *projector_; }
  projections::pg::Projector& token_projector() { return *token_projector_; }
  projections::pg::Projector& intents_projector() { return *intents_projector_; }
  const std::string& nft_topic() const { return nft_topic_; }
  const std::string& token_topic() const { return token_topic_; }
  const std::string& intents_topic() const { return intents_topic_; }
  // Every input topic of the projections.
  std::vector<std::string> topics() const { return {nft_topic_, token_topic_, intents_topic_}; }
  // The first projection that stopped on an error, OK otherwise.
  engine::core::Status status() const;

 private:
  ProjectorRole() = default;
  std::string nft_topic_;
  std::string token_topic_;
  std::string intents_topic_;
  std::unique_ptr<engine::log::Producer> dlq_producer_;
  std::unique_ptr<projections::pg::Projector> projector_;  // uses dlq_producer_
  std::unique_ptr<projections::pg::Projector> token_projector_;  // uses dlq_producer_
  std::unique_ptr<projections::pg::Projector> intents_projector_;  // uses dlq_producer_
};

}  // namespace chainflow::app
