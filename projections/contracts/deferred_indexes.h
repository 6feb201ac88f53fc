#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "projections/contracts/schema_plan.h"
#include "projections/pg/connection.h"
#include "projections/pg/projector.h"

namespace chainflow::projections::contracts {

// A bulk load's indexes (README.md, "Bulk loads"). The index of an indexed
// parameter takes its rows one at a time, each a descent into a B-tree in
// no particular order: in a replay that is more of PostgreSQL's work than
// the rows themselves, and built afterwards from the table it is one sort.
// So while a contract's projection has far to go (DecideIndexes) the
// indexes of its parameters are dropped, in the transaction of the batch
// that starts the bulk load, and built again in the transaction of the
// batch that reaches the head (or, if none does, as soon as a poll finds
// nothing). Queries filtering on a parameter read the whole table
// meanwhile. Kept in the catalog only: a projection restarted mid-load
// finds its indexes missing and builds them when it gets to the head.

enum class IndexStep { kKeep, kDrop, kBuild };

// What a batch does with the indexes. In a bulk load a caller announced
// (`bulk_load` records, chainflow replay) they are dropped when they are all
// there, the load is at least `min_backlog` records and at least what was
// applied before (a build then costs at most twice the load's own rows), and
// never built here: FinishBulkLoad builds them when the load is over.
// Otherwise the backlog decides: drop when at least min_backlog records
// follow the batch and they and the batch are at least what was applied (a
// rebuild of the view replaying its topic); build the missing ones when
// fewer than min_backlog / 2 follow (the gap keeps a projection that hovers
// near the threshold from dropping and building in turn). min_backlog 0
// turns deferral off: the missing ones are built, none dropped. Pure.
IndexStep DecideIndexes(bool all_present, const pg::BatchContext& context, uint64_t min_backlog,
                        uint64_t bulk_load = 0);

// Builds the parameter indexes of schema `schema` that are missing, in one
// transaction under the advisory lock of `projection`; logs what it built.
core::Status BuildParameterIndexes(pg::Connection& conn, const std::string& schema,
                                   const std::string& projection,
                                   const std::vector<ParameterIndex>& indexes);

// DecideIndexes' thresholds.
struct IndexLoadOptions {
  uint64_t min_backlog = 100'000;  // [engine] projection_defer_indexes_records
  uint64_t bulk_load = 0;  // records a caller announced; 0: none
};

// One contract projection's parameter indexes. The KeyedView's before_rows
// and after_rows hooks call BeforeRows / AfterRows in each batch's
// transaction, the projection Settle after it, Idle on an empty poll.
// Not thread-safe (the projector's thread).
class DeferredIndexes {
 public:
  // `projection` names the advisory lock Idle takes; `indexes` are
  // ParameterIndexesOf the contract's tables.
  DeferredIndexes(std::string schema, std::string projection,
                  std::vector<ParameterIndex> indexes, IndexLoadOptions options = {});

  core::Status BeforeRows(pg::Transaction& tx, const pg::BatchContext& context);
  core::Status AfterRows(pg::Transaction& tx, const pg::BatchContext& context);
  // After the batch's transaction: keeps what the hooks did when it
  // committed; reads the catalog again next time when it did not.
  void Settle(bool committed);
  // Outside a bulk load, builds the missing indexes (BuildParameterIndexes).
  // Without a query while they are all known to be there.
  core::Status Idle(pg::Connection& conn);

  // Whether some index is missing, as of the last settled transaction
  // (nullopt before the catalog was read, or after a rollback).
  std::optional<bool> deferred() const { return deferred_; }

 private:
  // Whether the catalog has every index, read when not known.
  core::Result<bool> AllPresent(pg::Transaction& tx);

  std::string schema_;
  std::string projection_;
  std::vector<ParameterIndex> indexes_;
  uint64_t min_backlog_;
  uint64_t bulk_load_;
  std::optional<bool> deferred_;  // settled
  std::optional<bool> pending_;   // this transaction's, until Settle
};

}  // namespace chainflow::projections::contracts
