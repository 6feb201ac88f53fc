#pragma once

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

// Upserts `next_offsets` for `projection` with one statement, inside `tx`
// (the same transaction as the rows they cover).
core::Status WriteOffsets(Transaction& tx, std::string_view projection,
                          const OffsetMap& next_offsets);

// Takes the transaction-level advisory lock of `projection`, so two writers
// of one projection (a second process, a rebuild) serialize on it.
core::Status LockProjection(Transaction& tx, std::string_view projection);

}  // namespace chainflow::projections::pg
