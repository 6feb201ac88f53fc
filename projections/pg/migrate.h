#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "projections/pg/connection.h"

namespace chainflow::projections::pg {

// One numbered schema change. Versions are applied in increasing order and
// recorded in chainflow.schema_migrations; an applied version is never
// edited, a change is a new version.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // runs with search_path = chainflow
};

// The migrations of every chainflow view (DESIGN.md §5), in version order.
std::span<const Migration> Migrations();

// Applies the pending `migrations` (default: Migrations()), each in its own
// transaction that first takes a transaction-level advisory lock, so
// concurrent processes apply each version exactly once. Creates schema
// `chainflow` and `chainflow.schema_migrations(version int primary key,
// applied_at timestamptz)` when missing. Idempotent.
core::Status Migrate(Connection& conn);
core::Status Migrate(Connection& conn, std::span<const Migration> migrations);

}  // namespace chainflow::projections::pg
