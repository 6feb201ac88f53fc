#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/views.h"
#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "projections/pg/projector.h"

namespace chainflow::app {

// The `project` role: every view of Views() (nft, token, intents,
// settlements, accruals) into PostgreSQL, each on its own thread, consumer
// (group chainflow.projection.<name>) and connection, sharing a producer
// for dead letters.
class ProjectorRole {
 public:
  // One running view.
  struct Projection {
    ViewDef view;
    std::unique_ptr<projections::pg::Projector> projector;  // uses the role's dlq producer
  };

  // `catalog`: the contracts' ABIs as the command loaded them (nullptr:
  // loaded here when a contract view opens); see Views(). `bulk_load`:
  // ProjectorOptions::bulk_load of every view (then FinishBulkLoad after
  // Stop).
  static engine::core::Result<std::unique_ptr<ProjectorRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin,
      std::shared_ptr<const engine::abi::Catalog> catalog = nullptr, uint64_t bulk_load = 0);
  ~ProjectorRole();

  engine::core::Status Start();
  void Stop();
  // After Stop: ViewDef::finish_bulk_load of every view that has one, each
  // on a connection of its own.
  engine::core::Status FinishBulkLoad(const engine::core::Config& config);
  // In Views() order.
  std::vector<Projection>& projections() { return projections_; }
  // Every input topic of the projections.
  std::vector<std::string> topics() const;
  // The first projection that stopped on an error, OK otherwise.
  engine::core::Status status() const;

 private:
  ProjectorRole() = default;
  std::unique_ptr<engine::log::Producer> dlq_producer_;
  std::vector<Projection> projections_;  // declared after the producer: destroyed first
};

}  // namespace chainflow::app
