#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chainflow::projections::pg {

// The counters every projection exports per applied batch, labelled
// projection=`projection`: chainflow_projection_records_total,
// chainflow_projection_skipped_total, chainflow_projection_rejected_total.
// Thread-safe (the metrics registry is).
void CountRecords(std::string_view projection, size_t records, size_t skipped, size_t rejected);

// chainflow_projection_rows_upserted_total{projection, table}.
void CountUpsertedRows(std::string_view projection, std::string_view table, int64_t rows);

// chainflow_projection_rows_deleted_total{projection, table}.
void CountDeletedRows(std::string_view projection, std::string_view table, int64_t rows);

}  // namespace chainflow::projections::pg
