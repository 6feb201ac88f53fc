#include "projections/intents/intents_projection.h"

#include <chrono>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/intents/rows.h"
#include "projections/pg/dead_letter.h"
#include "projections/pg/offsets.h"
#include "projections/pg/projection_metrics.h"
#include "projections/pg/upsert.h"

namespace chainflow::projections::intents {
namespace {

namespace log = engine::log;

constexpr std::chrono::seconds kDlqFlushTimeout{30};

const pg::UpsertSpec& IntentsSpec() {
  static const pg::UpsertSpec spec{"chainflow.intents", IntentColumns(), {"intent_id"},
                                   NullableIntentColumns()};
  return spec;
}

void CountApplied(const ApplyReport& report) {
  pg::CountRecords(kProjectionName, report.records, report.skipped, report.rejected);
  pg::CountUpsertedRows(kProjectionName, "intents", report.intent_rows);
}

}  // namespace

IntentsProjection::IntentsProjection(pg::Connection& conn, log::RecordSink* dlq,
                                     std::string dlq_topic)
    : conn_(conn), dlq_(dlq), dlq_topic_(std::move(dlq_topic)) {}

core::Status IntentsProjection::DeadLetter(const log::Record& record, const core::Status& why) {
  core::Logger("projections.intents")
      ->warn("[intents {}/{}] rejecting offset {}: {}", record.topic, record.partition.value(),
             record.offset.value(), why.ToString());
  if (dlq_ == nullptr) return core::Status::Ok();
  return pg::SendDeadLetter(*dlq_, dlq_topic_, record, why, "projection_intents");
}

core::Result<ApplyReport> IntentsProjection::Apply(const std::vector<log::Record>& batch) {
  ASSIGN_OR_RETURN(auto tx, conn_.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, kProjectionName));
  ASSIGN_OR_RETURN(pg::OffsetMap applied, pg::ReadOffsets(*tx, kProjectionName));
  StagedBatch staged = StageBatch(batch, applied);
  ApplyReport report;
  report.records = staged.records;
  report.skipped = staged.skipped;
  report.rejected = staged.rejected.size();
  report.ignored = staged.ignored;
  if (staged.records == 0) return report;

  for (const Rejected& r : staged.rejected) RETURN_IF_ERROR(DeadLetter(*r.record, r.why));
  if (dlq_ && !staged.rejected.empty()) RETURN_IF_ERROR(dlq_->Flush(kDlqFlushTimeout));

  std::vector<std::vector<std::string>> rows;
  rows.reserve(staged.intents.size());
  for (const IntentRow& r : staged.intents) rows.push_back(r.Fields());
  ASSIGN_OR_RETURN(report.intent_rows, pg::Upsert(*tx, IntentsSpec(), rows));
  RETURN_IF_ERROR(pg::WriteOffsets(*tx, kProjectionName, staged.next_offsets));
  RETURN_IF_ERROR(tx->Commit());
  CountApplied(report);
  return report;
}

core::Status Truncate(pg::Connection& conn) {
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, kProjectionName));
  ASSIGN_OR_RETURN(int64_t n, tx->Execute("TRUNCATE chainflow.intents"));
  (void)n;
  ASSIGN_OR_RETURN(auto rows, tx->Query("DELETE FROM chainflow.projection_offsets "
                                        "WHERE projection = $1",
                                        {std::string(kProjectionName)}));
  (void)rows;
  return tx->Commit();
}

}  // namespace chainflow::projections::intents
