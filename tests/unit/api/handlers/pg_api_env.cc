#include "tests/unit/api/handlers/pg_api_env.h"

#include "engine/core/check.h"
#include "projections/pg/migrate.h"

namespace chainflow::api::handlers::testing {

PgApiEnv::PgApiEnv(const std::string& db_prefix, const std::vector<std::string>& chains)
    : db_(std::make_unique<ScratchDatabase>(db_prefix)) {
  if (!db_->skip_reason().empty()) return;
  auto conn = projections::pg::Connection::Open(db_->url());
  CF_CHECK(conn.has_value(), "{}", conn.error().ToString());
  conn_ = std::move(conn).value();
  CF_CHECK(projections::pg::Migrate(*conn_).ok(), "migrate");
  core::Config config;
  config.postgres.url = db_->url();
  config.postgres.pool_size = 1;
  for (const std::string& chain : chains) {
    config.chains.push_back(core::ChainConfig{.name = chain});
  }
  http::ServerOptions options;
  options.listen = "127.0.0.1:0";
  status_ = std::make_unique<FakeStatusSource>();
  auto service = ApiService::Open(config, *status_, options);
  CF_CHECK(service.has_value(), "{}", service.error().ToString());
  service_ = std::move(service).value();
  CF_CHECK(service_->Start().ok(), "start");
}

// Members go in reverse order: the service and connection before the
// database they use is dropped.
PgApiEnv::~PgApiEnv() = default;

}  // namespace chainflow::api::handlers::testing
