#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "projections/pg/connection.h"

namespace chainflow::projections::pg {

// A batch upsert into `table` keyed by `key` (its primary key).
struct UpsertSpec {
  std::string table;                 // schema-qualified, e.g. "chainflow.nft_owners"
  std::vector<std::string> columns;  // every column written, in row order
  std::vector<std::string> key;      // the conflict target (a subset of columns)
  // Nullable columns (a subset of the non-key columns) whose EMPTY text
  // field is written as NULL. Only for types where '' is never a value
  // (numeric, bigint, timestamptz): a text column cannot tell '' from NULL.
  std::vector<std::string> null_if_empty = {};
  // Columns (not in `key`) a removal must match too: DeleteKeys then deletes
  // a row only when these equal the removal's (NULL equal to NULL), so a
  // retraction takes back only the row it names, never a newer row at the
  // same key. Empty: the key alone decides.
  std::vector<std::string> delete_match = {};
  // Optional: two integer key columns that order the rows as they are
  // written, (block_number, log_index) for a log of events. When set, Upsert
  // first looks for a row at or after the batch's smallest position (an
  // index on these two columns first must serve that); if there is none, no
  // row of the batch can conflict and it is COPied straight into the table:
  // no staging table, no ON CONFLICT, a third of PostgreSQL's work on a
  // replay. Otherwise it upserts as usual.
  std::vector<std::string> append_position = {};
};

// Writes `rows` (text fields in `spec.columns` order; numeric values as
// decimal strings; "" is NULL in the `spec.null_if_empty` columns) with two
// statements regardless of the row count:
// COPY into a session-local TEMP staging table shaped like `spec.table`
// (ON COMMIT DELETE ROWS, created once per session), then
//   INSERT INTO table SELECT ... FROM staging
//   ON CONFLICT (key) DO UPDATE SET <non-key columns> = EXCLUDED.<column>
//   WHERE <non-key columns> IS DISTINCT FROM <the new values>.
// Rows must be unique by key (PostgreSQL cannot update one row twice in a
// statement: that is Internal, SQLSTATE 21000): deduplicate first.
// Returns the number of rows inserted or changed (unchanged rows are not
// rewritten and not counted). With `spec.append_position`, a batch wholly
// after the table's rows is COPied into the table directly (see UpsertSpec).
core::Result<int64_t> Upsert(Transaction& tx, const UpsertSpec& spec,
                             const std::vector<std::vector<std::string>>& rows);

// Deletes the rows of `spec.table` whose `spec.key` columns equal one of
// `keys` (text fields in `spec.key` order, then `spec.delete_match` order;
// "" is NULL in the null_if_empty columns), with two statements regardless
// of the count: COPY into a session-local TEMP table of those columns
// (ON COMMIT DELETE ROWS, created once per session), then
//   DELETE FROM table USING staging WHERE <key columns equal>
//     AND <delete_match columns not distinct>.
// Keys that match no row are fine. Returns the number of rows deleted.
core::Result<int64_t> DeleteKeys(Transaction& tx, const UpsertSpec& spec,
                                 const std::vector<std::vector<std::string>>& keys);

}  // namespace chainflow::projections::pg
