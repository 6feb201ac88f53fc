#include "projections/pg/upsert.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/core/check.h"

namespace chainflow::projections::pg {
namespace {

std::string StagingName(const std::string& table) {
  std::string name = "cf_stage_";
  for (char c : table) {
    if (c != '"') name += (c == '.' ? '_' : c);  // quoted identifiers: "schema"."table"
  }
  return name;
}

std::string MergeSql(const UpsertSpec& spec, const std::string& staging) {
  std::string cols = fmt::format("{}", fmt::join(spec.columns, ", "));
  std::vector<std::string> sets, current, incoming;
  for (const auto& c : spec.columns) {
    if (std::find(spec.key.begin(), spec.key.end(), c) == spec.key.end()) {
      sets.push_back(fmt::format("{0} = EXCLUDED.{0}", c));
      current.push_back(fmt::format("cf_target.{}", c));
      incoming.push_back(fmt::format("EXCLUDED.{}", c));
    }
  }
  // The WHERE skips rows whose values do not change (a replayed batch
  // writes no new row versions).
  std::string action =
      sets.empty() ? "NOTHING"
                   : fmt::format("UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
                                 fmt::join(sets, ", "), fmt::join(current, ", "),
                                 fmt::join(incoming, ", "));
  return fmt::format(
      "INSERT INTO {0} AS cf_target ({1}) SELECT {1} FROM {2} ON CONFLICT ({3}) DO {4}",
      spec.table, cols, staging, fmt::join(spec.key, ", "), action);
}

}  // namespace

core::Result<int64_t> Upsert(Transaction& tx, const UpsertSpec& spec,
                             const std::vector<std::vector<std::string>>& rows) {
  CF_CHECK(!spec.key.empty() && !spec.columns.empty(), "upsert into {} without key/columns",
           spec.table);
  if (rows.empty()) return 0;
  const std::string staging = StagingName(spec.table);
  if (tx.used_staging_tables().count(staging) != 0) {
    ASSIGN_OR_RETURN(int64_t n, tx.Execute(fmt::format("TRUNCATE {}", staging)));
    (void)n;
  } else {
    // Session-local: created at most once per connection (IF NOT EXISTS is a
    // cheap catalog lookup afterwards); its rows vanish at commit/rollback.
    ASSIGN_OR_RETURN(int64_t n, tx.Execute(fmt::format(
                                    "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {}) "
                                    "ON COMMIT DELETE ROWS",
                                    staging, spec.table)));
    (void)n;
  }
  tx.used_staging_tables().insert(staging);
  std::vector<bool> null_if_empty;
  if (!spec.null_if_empty.empty()) {
    for (const auto& c : spec.columns) {
      null_if_empty.push_back(std::find(spec.null_if_empty.begin(), spec.null_if_empty.end(), c) !=
                              spec.null_if_empty.end());
    }
  }
  RETURN_IF_ERROR(tx.Copy(staging, spec.columns, rows, null_if_empty));
  return tx.Execute(MergeSql(spec, staging));
}

core::Result<int64_t> DeleteKeys(Transaction& tx, const UpsertSpec& spec,
                                 const std::vector<std::vector<std::string>>& keys) {
  CF_CHECK(!spec.key.empty(), "delete from {} without key", spec.table);
  if (keys.empty()) return 0;
  const std::string staging = "cf_delete_" + StagingName(spec.table).substr(9);
  std::vector<std::string> columns = spec.key;
  columns.insert(columns.end(), spec.delete_match.begin(), spec.delete_match.end());
  const std::string cols = fmt::format("{}", fmt::join(columns, ", "));
  if (tx.used_staging_tables().count(staging) != 0) {
    ASSIGN_OR_RETURN(int64_t n, tx.Execute(fmt::format("TRUNCATE {}", staging)));
    (void)n;
  } else {
    // Only the columns compared: LIKE would copy the other columns' NOT NULLs.
    ASSIGN_OR_RETURN(int64_t n, tx.Execute(fmt::format(
                                    "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS "
                                    "AS SELECT {} FROM {} WITH NO DATA",
                                    staging, cols, spec.table)));
    (void)n;
  }
  tx.used_staging_tables().insert(staging);
  std::vector<bool> null_if_empty;
  for (const auto& c : columns) {
    null_if_empty.push_back(std::find(spec.null_if_empty.begin(), spec.null_if_empty.end(), c) !=
                            spec.null_if_empty.end());
  }
  RETURN_IF_ERROR(tx.Copy(staging, columns, keys, null_if_empty));
  std::vector<std::string> match;
  for (const auto& c : spec.key) match.push_back(fmt::format("cf_target.{0} = cf_gone.{0}", c));
  for (const auto& c : spec.delete_match) {
    match.push_back(fmt::format("cf_target.{0} IS NOT DISTINCT FROM cf_gone.{0}", c));
  }
  return tx.Execute(fmt::format("DELETE FROM {} AS cf_target USING {} AS cf_gone WHERE {}",
                                spec.table, staging, fmt::join(match, " AND ")));
}

}  // namespace chainflow::projections::pg
