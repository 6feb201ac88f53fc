#include "tests/unit/api/handlers/pg_api_env.h"

#include <unistd.h>

#include <cstdlib>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "engine/core/check.h"
#include "projections/pg/migrate.h"

namespace chainflow::api::handlers::testing {
namespace {

std::string BaseUrl() {
  const char* env = std::getenv("CHAINFLOW_TEST_PG_URL");
  return env != nullptr && *env != '\0' ? env : "postgresql://chainflow@127.0.0.1:5433/chainflow";
}

std::string WithDatabase(const std::string& url, const std::string& db) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return url + " dbname=" + db;
  boost::urls::url u = *parsed;
  u.set_path("/" + db);
  return std::string(u.buffer());
}

}  // namespace

PgApiEnv::PgApiEnv(const std::string& db_prefix, const std::vector<std::string>& chains)
    : db_name_(fmt::format("{}_{}", db_prefix, getpid())) {
  try {
    pqxx::connection admin(BaseUrl());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + db_name_);
  } catch (const std::exception& e) {
    skip_reason_ = fmt::format("PostgreSQL at {} unreachable: {}", BaseUrl(), e.what());
    return;
  }
  url_ = WithDatabase(BaseUrl(), db_name_);
  auto conn = projections::pg::Connection::Open(url_);
  CF_CHECK(conn.has_value(), "{}", conn.error().ToString());
  conn_ = std::move(conn).value();
  CF_CHECK(projections::pg::Migrate(*conn_).ok(), "migrate");
  core::Config config;
  config.postgres.url = url_;
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

PgApiEnv::~PgApiEnv() {
  service_.reset();
  status_.reset();
  conn_.reset();
  if (!skip_reason_.empty()) return;
  try {
    pqxx::connection admin(BaseUrl());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "dropping " << db_name_ << ": " << e.what();
  }
}

}  // namespace chainflow::api::handlers::testing
