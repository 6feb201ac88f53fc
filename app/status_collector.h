#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/handlers/status.h"
#include "app/processor_role.h"
#include "engine/core/config.h"
#include "engine/log/admin.h"

namespace chainflow::projections::pg {
class Connection;
}  // namespace chainflow::projections::pg
namespace chainflow::ingest::evm {
class RpcClient;
}  // namespace chainflow::ingest::evm

namespace chainflow::app {

class IngestRole;

// How long a status collection waits for one Kafka request. A broker that
// goes away mid-collection (a clean stop takes a few seconds, during which
// it still accepts requests) holds the pending query this long, and /readyz
// with it; Admin's default, 30 s, made such answers take over 10 s.
inline constexpr std::chrono::milliseconds kStatusRequestTimeout{5000};

// An Admin for a StatusCollector: requests bounded by kStatusRequestTimeout.
engine::core::Result<std::unique_ptr<engine::log::Admin>> OpenStatusAdmin(
    const engine::core::Config& config);

// Assembles PipelineStatus from what any process can see: chain heads over
// JSON-RPC (or from an in-process IngestRole), the last BlockEnd in each
// chain topic, Kafka high watermarks, the processor's committed group
// offsets and the projection's offsets in PostgreSQL. Kafka or PostgreSQL
// that cannot be reached is reported, not an error: PipelineStatus::services
// names it with its last error (URLs redacted), and the status is not ready.
// Results are cached for `max_age` because one collection reads every
// partition's tail.
// Thread-safe.
class StatusCollector : public api::handlers::StatusSource {
 public:
  // `admin` (from OpenStatusAdmin) must outlive the collector; `ingest` is optional (in-process
  // heads) and, when set, must outlive it too. `catalog`: the contracts' ABIs as the process
  // loaded them (null: loaded from `config` by the first collection).
  StatusCollector(const engine::core::Config& config, engine::log::Admin& admin,
                  const IngestRole* ingest = nullptr,
                  std::shared_ptr<const engine::abi::Catalog> catalog = nullptr,
                  std::chrono::milliseconds max_age = std::chrono::milliseconds(500));

  ~StatusCollector() override;

  engine::core::Result<api::handlers::PipelineStatus> Collect() override;

  // Collects every `interval` on an owned thread, so the gauges /metrics
  // exports (lag, chain progress, dead letters, readiness) stay current even
  // when nobody asks for /v1/status. Stop is idempotent (also on destruction).
  void StartRefresh(std::chrono::milliseconds interval);
  void StopRefresh();

 private:
  // Exports `status` as Prometheus gauges.
  void Export(const api::handlers::PipelineStatus& status, int64_t dead_letters);
  engine::core::Result<api::handlers::PipelineStatus> CollectNow();
  engine::core::Status CollectChains(api::handlers::PipelineStatus& out);
  // Kafka errors are returned; PostgreSQL's go to `pg_status` (OK when `pg`
  // is set), and no projection rows are added while it is not OK.
  engine::core::Status CollectConsumers(api::handlers::PipelineStatus& out,
                                        projections::pg::Connection* pg,
                                        engine::core::Status& pg_status);
  // A new session for one collection, or why PostgreSQL cannot be reached.
  engine::core::Status OpenPostgres(std::unique_ptr<projections::pg::Connection>& out);

  static constexpr int kPostgresConnectTimeoutSeconds = 2;
  // A collection's statements on its session, all of them: past this the
  // session is abandoned (a paused server never answers, and libpq would
  // wait for it without a limit) and PostgreSQL is named as not answering.
  static constexpr int kPostgresQueryTimeoutSeconds = 3;

  const engine::core::Config& config_;
  engine::log::Admin& admin_;
  const IngestRole* ingest_;
  const std::shared_ptr<const engine::abi::Catalog> catalog_;
  std::chrono::milliseconds max_age_;

  std::mutex mu_;  // guards everything below; held for a whole collection
  std::optional<api::handlers::PipelineStatus> cached_;
  std::map<std::string, std::unique_ptr<ingest::evm::RpcClient>> rpcs_;  // by chain
  // ConfiguredProcessors, from the first collection that could list them.
  std::optional<std::vector<LeveledSpec>> processors_;
  std::chrono::steady_clock::time_point cached_at_;
  // When the last collection ended, and its error (OK when it succeeded).
  std::chrono::steady_clock::time_point last_done_;
  engine::core::Status last_error_;
  int64_t dead_letters_ = 0;  // the last count read

  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
  bool refresh_stop_ = false;
  std::thread refresh_;
};

}  // namespace chainflow::app
