#include "projections/pg/projection_metrics.h"

#include <string>

#include "engine/core/metrics.h"
#include "engine/core/status.h"

namespace chainflow::projections::pg {

void CountRecords(std::string_view projection, size_t records, size_t skipped, size_t rejected) {
  auto& m = core::MetricsRegistry::Global();
  const core::Labels labels{{"projection", std::string(projection)}};
  m.GetCounter("chainflow_projection_records_total", "Input records applied by projections",
               labels)
      .Inc(records);
  m.GetCounter("chainflow_projection_skipped_total",
               "Input records already covered by stored offsets", labels)
      .Inc(skipped);
  m.GetCounter("chainflow_projection_rejected_total", "Undecodable input records", labels)
      .Inc(rejected);
}

void CountUpsertedRows(std::string_view projection, std::string_view table, int64_t rows) {
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_rows_upserted_total", "View rows inserted or updated",
                  {{"projection", std::string(projection)}, {"table", std::string(table)}})
      .Inc(static_cast<uint64_t>(rows));
}

void CountDeletedRows(std::string_view projection, std::string_view table, int64_t rows) {
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_rows_deleted_total",
                  "View rows deleted by retractions",
                  {{"projection", std::string(projection)}, {"table", std::string(table)}})
      .Inc(static_cast<uint64_t>(rows));
}

}  // namespace chainflow::projections::pg
