#pragma once

#include <string>
#include <vector>

#include "engine/core/result.h"
#include "projections/contracts/columns.h"
#include "projections/pg/connection.h"

namespace chainflow::projections::contracts {

// The registry (chainflow.contract_tables, migration 40) and the schemas it
// describes. `columns` is a JSON array, in table order, of
// {"column","parameter","abi_type","sql_type","indexed"}: what the API
// reads to serve GET /v1/events. Not thread-safe (one connection).

// InvalidArgument when schema `contract` would be one PostgreSQL or
// chainflow already uses ("chainflow", "public", "information_schema",
// "pg_*"): such a contract cannot have its own schema (and rebuild would
// drop another's).
core::Status CheckSchemaName(const std::string& contract);

// The registry's tables of `contract`, in table-name order.
core::Result<std::vector<TableSpec>> ReadRegistry(pg::Transaction& tx,
                                                  const std::string& contract);

// The registry's `columns` JSON for `columns`, and back.
std::string ColumnsJson(const std::vector<ColumnSpec>& columns);
core::Result<std::vector<ColumnSpec>> ParseColumnsJson(std::string_view text);

// Brings schema `contract` to `desired` (PlanSchema) in one transaction
// under the projection's advisory lock: runs the DDL and writes the
// registry rows, logging each new table and column. Needs pg::Migrate
// first. An incompatible change is InvalidArgument (nothing changes).
core::Status EnsureSchema(pg::Connection& conn, const std::string& contract,
                          const std::string& projection, const std::vector<TableSpec>& desired);

// For `chainflow rebuild`: drops schema `contract` with its tables, its
// registry rows and the offsets of `projection`, in one transaction under
// the projection's advisory lock (migrating first, so it works on a fresh
// database). The next EnsureSchema creates everything again.
core::Status DropSchema(pg::Connection& conn, const std::string& contract,
                        const std::string& projection);

}  // namespace chainflow::projections::contracts
