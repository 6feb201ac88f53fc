#pragma once

#include <memory>
#include <string>

#include "projections/pg/connection.h"

namespace chainflow::projections::testing {

// The PostgreSQL these integration tests use: env CHAINFLOW_TEST_PG_URL,
// default postgresql://chainflow@127.0.0.1:5433/chainflow (ops/ starts it).
// Each test process creates its own database cf_test_<pid> through that URL
// (the role needs CREATEDB) and drops it at exit, so test processes run in
// parallel without sharing rows.
std::string MaintenanceUrl();

// `url` with its database replaced by `database` (URI or key=value form).
std::string WithDatabase(const std::string& url, const std::string& database);

// The URL of this process's database (created on first call; the test fails
// with the reason when it cannot be).
const std::string& TestDatabaseUrl();

// A connection to TestDatabaseUrl() with schema `chainflow` dropped, then
// migrated: every test starts from empty views.
std::unique_ptr<pg::Connection> FreshSchema();

// Runs `sql` on a new connection and returns the first column of every row
// (NULL as "NULL"), joined by '\n' per row and '|' per column.
std::string QueryText(const std::string& sql);

}  // namespace chainflow::projections::testing
