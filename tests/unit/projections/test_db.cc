#include "tests/unit/projections/test_db.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "projections/pg/migrate.h"

namespace chainflow::projections::testing {
namespace {

std::string& CreatedDatabase() {
  static std::string name;
  return name;
}

// Drops the per-process database when the test program ends.
class DropDatabaseAtExit : public ::testing::Environment {
 public:
  void TearDown() override {
    if (CreatedDatabase().empty()) return;
    auto conn = pg::Connection::Open(MaintenanceUrl());
    if (!conn) return;
    conn.value()
        ->ExecuteAutocommit(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)",
                                        CreatedDatabase()))
        .IgnoreError();  // best effort: a leftover cf_test_* database is harmless
  }
};

[[maybe_unused]] ::testing::Environment* const kDropAtExit =
    ::testing::AddGlobalTestEnvironment(new DropDatabaseAtExit);

}  // namespace

std::string MaintenanceUrl() {
  const char* env = std::getenv("CHAINFLOW_TEST_PG_URL");
  return env && *env ? env : "postgresql://chainflow@127.0.0.1:5433/chainflow";
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url + " dbname=" + database;  // key=value form
  auto path = url.find('/', scheme + 3);
  auto query = url.find('?', scheme + 3);
  std::string authority = url.substr(0, std::min(path, query));
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return authority + "/" + database + rest;
}

const std::string& TestDatabaseUrl() {
  static const std::string url = [] {
    std::string name = fmt::format("cf_test_{}", ::getpid());
    auto conn = pg::Connection::Open(MaintenanceUrl());
    if (!conn) {
      ADD_FAILURE() << "PostgreSQL at " << MaintenanceUrl()
                    << " (CHAINFLOW_TEST_PG_URL) is not reachable: " << conn.error().ToString();
      return std::string();
    }
    auto& c = *conn.value();
    c.ExecuteAutocommit(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", name))
        .IgnoreError();
    core::Status created = c.ExecuteAutocommit(fmt::format("CREATE DATABASE {}", name));
    if (!created.ok()) {
      ADD_FAILURE() << "cannot create the test database (the role needs CREATEDB): "
                    << created.ToString();
      return std::string();
    }
    CreatedDatabase() = name;
    return WithDatabase(MaintenanceUrl(), name);
  }();
  return url;
}

std::unique_ptr<pg::Connection> FreshSchema() {
  const std::string& url = TestDatabaseUrl();
  if (url.empty()) return nullptr;
  auto conn = pg::Connection::Open(url);
  if (!conn) {
    ADD_FAILURE() << conn.error().ToString();
    return nullptr;
  }
  core::Status dropped =
      conn.value()->ExecuteInTransaction("DROP SCHEMA IF EXISTS chainflow CASCADE");
  EXPECT_TRUE(dropped.ok()) << dropped.ToString();
  core::Status migrated = pg::Migrate(*conn.value());
  EXPECT_TRUE(migrated.ok()) << migrated.ToString();
  return std::move(conn).value();
}

std::string QueryText(const std::string& sql) {
  auto conn = pg::Connection::Open(TestDatabaseUrl());
  if (!conn) return "ERROR " + conn.error().ToString();
  auto tx = conn.value()->Begin();
  if (!tx) return "ERROR " + tx.error().ToString();
  auto rows = tx.value()->Query(sql);
  if (!rows) return "ERROR " + rows.error().ToString();
  std::string out;
  for (const auto& row : rows.value()) {
    if (!out.empty()) out += '\n';
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out += '|';
      out += row[i] ? *row[i] : "NULL";
    }
  }
  return out;
}

}  // namespace chainflow::projections::testing
