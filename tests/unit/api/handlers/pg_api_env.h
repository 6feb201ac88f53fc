#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/handlers/service.h"
#include "projections/pg/connection.h"
#include "tests/unit/api/handlers/fake_status_source.h"
#include "tests/unit/api/handlers/scratch_db.h"

namespace chainflow::api::handlers::testing {

// The API's read routes on a real PostgreSQL (CHAINFLOW_TEST_PG_URL, default
// postgresql://chainflow@127.0.0.1:5433/chainflow): a database
// `<db_prefix>_<pid>` of its own, migrated, a connection for the
// projections that fill it, and an ApiService (configured with `chains`)
// serving it on a free port. When PostgreSQL cannot be reached, skip_reason() says why and
// nothing else is set up. The destructor stops the service and drops the
// database. Not thread-safe.
class PgApiEnv {
 public:
  explicit PgApiEnv(const std::string& db_prefix,
                    const std::vector<std::string>& chains = {"anvil"});
  ~PgApiEnv();

  const std::string& skip_reason() const { return db_->skip_reason(); }
  projections::pg::Connection& conn() { return *conn_; }
  const std::string& url() const { return db_->url(); }
  uint16_t port() const { return service_->port(); }

 private:
  std::unique_ptr<ScratchDatabase> db_;  // declared first: dropped last
  std::unique_ptr<projections::pg::Connection> conn_;
  std::unique_ptr<FakeStatusSource> status_;
  std::unique_ptr<ApiService> service_;
};

}  // namespace chainflow::api::handlers::testing
