#pragma once

#include <cstddef>
#include <map>
#include <string_view>

#include "engine/core/result.h"
#include "engine/core/strong_id.h"
#include "engine/log/record.h"
#include "projections/pg/connection.h"

namespace chainflow::projections::pg {

// Next offset to apply, per input partition, of one projection.
using OffsetMap = std::map<engine::log::TopicPartition, core::Offset>;

// The rows of chainflow.projection_offsets for `projection`.
core::Result<OffsetMap> ReadOffsets(Connection& conn, std::string_view projection);
core::Result<OffsetMap> ReadOffsets(Transaction& tx, std::string_view projection);

// The offsets side of staging one batch of records: which records are new
// and how far each partition's stored offset moves. `applied` must outlive
// it. Not thread-safe.
class BatchOffsets {
 public:
  explicit BatchOffsets(const OffsetMap& applied) : applied_(applied) {}

  // False for a record below its partition's applied offset (already in
  // the view; counted in skipped()); true otherwise (counted in records(),
  // and its partition's next offset moves past it).
  bool Take(const engine::log::Record& record);

  const OffsetMap& next_offsets() const { return next_offsets_; }
  size_t records() const { return records_; }
  size_t skipped() const { return skipped_; }

 private:
  const OffsetMap& applied_;
  OffsetMap next_offsets_;
  size_t records_ = 0;
  size_t skipped_ = 0;
};

// Upserts `next_offsets` for `projection` with one statement, inside `tx`
// (the same transaction as the rows they cover).
core::Status WriteOffsets(Transaction& tx, std::string_view projection,
                          const OffsetMap& next_offsets);

// Takes the transaction-level advisory lock of `projection`, so two writers
// of one projection (a second process, a rebuild) serialize on it.
core::Status LockProjection(Transaction& tx, std::string_view projection);

}  // namespace chainflow::projections::pg
