#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "api/handlers/status.h"
#include "engine/core/config.h"
#include "engine/log/admin.h"

namespace chainflow::app {

class IngestRole;

// Assembles PipelineStatus from what any process can see: chain heads over
// JSON-RPC (or from an in-process IngestRole), the last BlockEnd in each
// chain topic, Kafka high watermarks, the processor's committed group
// offsets and the projection's offsets in PostgreSQL. Results are cached for
// `max_age` because one collection reads every partition's tail.
// Thread-safe.
class StatusCollector : public api::handlers::StatusSource {
 public:
  // `admin` must outlive the collector; `ingest` is optional (in-process
  // heads) and, when set, must outlive it too.
  StatusCollector(const engine::core::Config& config, engine::log::Admin& admin,
                  const IngestRole* ingest = nullptr,
                  std::chrono::milliseconds max_age = std::chrono::milliseconds(500));

  engine::core::Result<api::handlers::PipelineStatus> Collect() override;

 private:
  engine::core::Result<api::handlers::PipelineStatus> CollectNow();
  engine::core::Status CollectChains(api::handlers::PipelineStatus& out);
  engine::core::Status CollectConsumers(api::handlers::PipelineStatus& out);

  const engine::core::Config& config_;
  engine::log::Admin& admin_;
  const IngestRole* ingest_;
  std::chrono::milliseconds max_age_;

  std::mutex mu_;
  std::optional<api::handlers::PipelineStatus> cached_;
  std::chrono::steady_clock::time_point cached_at_;
};

}  // namespace chainflow::app
