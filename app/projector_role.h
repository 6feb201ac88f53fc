#pragma once

#include <memory>

#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "projections/nft/projector.h"

namespace chainflow::app {

// The `project` role: the NFT projection from the ownership topic into
// PostgreSQL, with a producer for its dead letters.
class ProjectorRole {
 public:
  static engine::core::Result<std::unique_ptr<ProjectorRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin);
  ~ProjectorRole();

  engine::core::Status Start() { return projector_->Start(); }
  void Stop() { projector_->Stop(); }
  projections::nft::Projector& projector() { return *projector_; }

 private:
  ProjectorRole() = default;
  std::unique_ptr<engine::log::Producer> dlq_producer_;
  std::unique_ptr<projections::nft::Projector> projector_;  // uses dlq_producer_
};

}  // namespace chainflow::app
