#include "projections/token/token_projection.h"

#include "projections/token/rows.h"

namespace chainflow::projections::token {

TokenProjection::TokenProjection(pg::Connection& conn, engine::log::RecordSink* dlq,
                                 std::string dlq_topic)
    : keyed_(conn, View(), dlq, std::move(dlq_topic)) {}

core::Result<ApplyReport> TokenProjection::Apply(const std::vector<engine::log::Record>& batch) {
  ASSIGN_OR_RETURN(pg::KeyedApplyReport keyed, keyed_.Apply(batch));
  ApplyReport report{keyed.records, keyed.skipped, keyed.rejected, keyed.ignored, 0, 0};
  if (keyed.rows.size() == 2) {
    report.balance_rows = keyed.rows[0] + keyed.deleted[0];
    report.supply_rows = keyed.rows[1] + keyed.deleted[1];
  }
  return report;
}

core::Status Truncate(pg::Connection& conn) { return pg::TruncateView(conn, View()); }

}  // namespace chainflow::projections::token
