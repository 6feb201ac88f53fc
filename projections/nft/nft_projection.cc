#include "projections/nft/nft_projection.h"

#include "projections/nft/rows.h"

namespace chainflow::projections::nft {

NftProjection::NftProjection(pg::Connection& conn, engine::log::RecordSink* dlq,
                             std::string dlq_topic)
    : keyed_(conn, View(), dlq, std::move(dlq_topic)) {}

core::Result<ApplyReport> NftProjection::Apply(const std::vector<engine::log::Record>& batch) {
  ASSIGN_OR_RETURN(pg::KeyedApplyReport keyed, keyed_.Apply(batch));
  ApplyReport report{keyed.records, keyed.skipped, keyed.rejected, keyed.ignored, 0, 0, 0};
  if (keyed.rows.size() == 2) {  // empty when every record was already applied
    report.owner_rows = keyed.rows[0];
    report.balance_rows = keyed.rows[1];
    report.owner_rows_deleted = keyed.deleted[0];
  }
  return report;
}

core::Status Truncate(pg::Connection& conn) { return pg::TruncateView(conn, View()); }

}  // namespace chainflow::projections::nft
