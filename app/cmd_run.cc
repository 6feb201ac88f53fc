// `chainflow run | ingest | process | project | serve`.
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "api/handlers/service.h"
#include "app/commands.h"
#include "app/ingest_role.h"
#include "app/processor_role.h"
#include "app/projector_role.h"
#include "app/shutdown.h"
#include "app/status_collector.h"
#include "app/topics.h"
#include "app/user_events_role.h"
#include "engine/abi/catalog.h"
#include "engine/core/logging.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

// Opens and starts the chosen roles; stops them in reverse order.
class Pipeline {
 public:
  // Every role that decodes or projects the contracts shares `catalog`: one
  // version of each ABI per process.
  core::Status Open(const core::Config& config, Roles roles,
                    std::shared_ptr<const engine::abi::Catalog> catalog) {
    ASSIGN_OR_RETURN(admin_, log::Admin::Open(config.kafka.brokers));
    RETURN_IF_ERROR(EnsureTopics(config, *admin_));
    if (roles.ingest) {
      ASSIGN_OR_RETURN(ingest_, IngestRole::Open(config, *admin_, catalog));
    }
    if (roles.project) {
      ASSIGN_OR_RETURN(projector_, ProjectorRole::Open(config, *admin_, catalog));
    }
    if (roles.serve) {
      ASSIGN_OR_RETURN(status_admin_, OpenStatusAdmin(config));
      status_ = std::make_unique<StatusCollector>(config, *status_admin_, ingest_.get(),
                                                  catalog);
      ASSIGN_OR_RETURN(user_events_, UserEventsRole::Open(config, *admin_, ingest_.get()));
      using api::handlers::ApiService;
      ASSIGN_OR_RETURN(api_, ApiService::Open(config, *status_,
                                              ApiService::ServerOptionsFor(config),
                                              &user_events_->output()));
    }
    // Last: a processor role opened but never started cannot be closed (its
    // group consumer blocks in librdkafka serving an assignment nobody
    // polled), so no other role's failure to open (a database that does not
    // exist, a port in use) may come after it; Start starts it next.
    if (roles.process) {
      ASSIGN_OR_RETURN(processor_, ProcessorRole::Open(config, *admin_, catalog));
    }
    return core::Status::Ok();
  }

  core::Status Start() {
    if (projector_) RETURN_IF_ERROR(projector_->Start());
    if (processor_) processor_->Start();
    if (ingest_) ingest_->Start();
    if (api_) {
      RETURN_IF_ERROR(api_->Start());
      status_->StartRefresh(std::chrono::seconds(2));
    }
    return core::Status::Ok();
  }

  // A role that stopped on an error it does not retry.
  core::Status Health() const {
    if (processor_ && !processor_->failure().ok()) return processor_->failure();
    if (projector_ && !projector_->status().ok()) return projector_->status();
    return core::Status::Ok();
  }

  void Stop() {
    if (status_) status_->StopRefresh();
    if (api_) api_->Stop();
    if (user_events_) user_events_->Stop();
    if (ingest_) ingest_->Stop();
    if (processor_) processor_->Stop();
    if (projector_) projector_->Stop();
  }

 private:
  std::unique_ptr<log::Admin> admin_;
  std::unique_ptr<log::Admin> status_admin_;  // short request timeouts (before status_)
  std::unique_ptr<IngestRole> ingest_;
  std::unique_ptr<ProcessorRole> processor_;
  std::unique_ptr<ProjectorRole> projector_;
  std::unique_ptr<StatusCollector> status_;
  std::unique_ptr<UserEventsRole> user_events_;  // outlives api_
  std::unique_ptr<api::handlers::ApiService> api_;
};

}  // namespace

int RunRoles(const core::Config& config, Roles roles,
             std::shared_ptr<const engine::abi::Catalog> catalog) {
  auto logger = core::Logger("app");
  auto pipeline = std::make_unique<Pipeline>();
  core::Status st = pipeline->Open(config, roles, std::move(catalog));
  if (st.ok()) st = pipeline->Start();
  if (!st.ok()) {
    logger->error("start-up failed: {}", st.ToString());
    pipeline->Stop();
    return kExitFailure;
  }
  if (roles.serve) logger->info("API listening on http://{}", config.api.listen);
  logger->info("running; SIGINT or SIGTERM stops cleanly");
  int code = kExitOk;
  while (!WaitForShutdown(std::chrono::milliseconds(500))) {
    core::Status health = pipeline->Health();
    if (!health.ok()) {
      logger->error("a role failed, shutting down: {}", health.ToString());
      code = kExitFailure;
      break;
    }
  }
  logger->info("stopping");
  const auto stopping = std::chrono::steady_clock::now();
  StopDeadline deadline(std::chrono::milliseconds(config.engine.stop_timeout_ms),
                        kExitStopTimedOut);
  pipeline->Stop();
  pipeline.reset();  // the roles' clients close here, within the deadline too
  logger->info("stopped in {:.1f} s, exit code {}",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - stopping).count(),
               code);
  return code;
}

}  // namespace chainflow::app
