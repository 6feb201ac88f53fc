#include "projections/pg/upsert.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

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

// The smallest (first, second) of `rows` in the columns at `at`, or nullopt
// when a field is not a plain integer (then the batch is upserted).
std::optional<std::pair<int64_t, int64_t>> SmallestPosition(
    const std::vector<std::vector<std::string>>& rows, std::pair<size_t, size_t> at) {
  auto parse = [](const std::string& text) -> std::optional<int64_t> {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
  };
  std::optional<std::pair<int64_t, int64_t>> smallest;
  for (const auto& row : rows) {
    std::optional<int64_t> first = parse(row[at.first]);
    std::optional<int64_t> second = parse(row[at.second]);
    if (!first || !second) return std::nullopt;
    std::pair<int64_t, int64_t> p{*first, *second};
    if (!smallest || p < *smallest) smallest = p;
  }
  return smallest;
}

// Whether `rows` all come after every row of the table (UpsertSpec::
// append_position): then none can conflict with a row already there.
core::Result<bool> AfterEveryRow(Transaction& tx, const UpsertSpec& spec,
                                 const std::vector<std::vector<std::string>>& rows) {
  CF_CHECK(spec.append_position.size() == 2, "append_position of {} names {} columns",
           spec.table, spec.append_position.size());
  auto column = [&spec](const std::string& name) {
    auto it = std::find(spec.columns.begin(), spec.columns.end(), name);
    CF_CHECK(it != spec.columns.end(), "append_position column {} is not a column of {}", name,
             spec.table);
    return static_cast<size_t>(it - spec.columns.begin());
  };
  auto smallest = SmallestPosition(
      rows, {column(spec.append_position[0]), column(spec.append_position[1])});
  if (!smallest) return false;
  ASSIGN_OR_RETURN(
      std::vector<TextRow> found,
      tx.Query(fmt::format("SELECT 1 FROM {} WHERE ({}, {}) >= ($1::bigint, $2::bigint) LIMIT 1",
                           spec.table, spec.append_position[0], spec.append_position[1]),
               {std::to_string(smallest->first), std::to_string(smallest->second)}));
  return found.empty();
}

}  // namespace

core::Result<int64_t> Upsert(Transaction& tx, const UpsertSpec& spec,
                             const std::vector<std::vector<std::string>>& rows) {
  CF_CHECK(!spec.key.empty() && !spec.columns.empty(), "upsert into {} without key/columns",
           spec.table);
  if (rows.empty()) return 0;
  std::vector<bool> null_if_empty;
  if (!spec.null_if_empty.empty()) {
    for (const auto& c : spec.columns) {
      null_if_empty.push_back(std::find(spec.null_if_empty.begin(), spec.null_if_empty.end(), c) !=
                              spec.null_if_empty.end());
    }
  }
  if (!spec.append_position.empty()) {
    ASSIGN_OR_RETURN(bool append, AfterEveryRow(tx, spec, rows));
    if (append) {
      RETURN_IF_ERROR(tx.Copy(spec.table, spec.columns, rows, null_if_empty));
      return static_cast<int64_t>(rows.size());
    }
  }
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
