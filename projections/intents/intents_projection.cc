#include "projections/intents/intents_projection.h"

#include "projections/intents/rows.h"

namespace chainflow::projections::intents {

IntentsProjection::IntentsProjection(pg::Connection& conn, engine::log::RecordSink* dlq,
                                     std::string dlq_topic)
    : keyed_(conn, View(), dlq, std::move(dlq_topic)) {}

core::Result<ApplyReport> IntentsProjection::Apply(const std::vector<engine::log::Record>& batch) {
  ASSIGN_OR_RETURN(pg::KeyedApplyReport keyed, keyed_.Apply(batch));
  return ApplyReport{keyed.records, keyed.skipped, keyed.rejected, keyed.ignored,
                     keyed.rows.empty() ? 0 : keyed.rows[0]};
}

core::Status Truncate(pg::Connection& conn) { return pg::TruncateView(conn, View()); }

}  // namespace chainflow::projections::intents
