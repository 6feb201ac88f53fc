#include "projections/pg/keyed_projection.h"

#include <chrono>

#include <fmt/format.h>

#include "engine/core/crash_point.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/pg/dead_letter.h"
#include "projections/pg/offsets.h"
#include "projections/pg/projection_metrics.h"

namespace chainflow::projections::pg {
namespace {

namespace log = engine::log;

constexpr std::chrono::seconds kDlqFlushTimeout{30};

// "chainflow.epochs" -> "epochs": the metrics' table label.
std::string TableLabel(const std::string& table) {
  size_t dot = table.rfind('.');
  return dot == std::string::npos ? table : table.substr(dot + 1);
}

}  // namespace

KeyedProjection::KeyedProjection(Connection& conn, const KeyedView& view, log::RecordSink* dlq,
                                 std::string dlq_topic)
    : conn_(conn), view_(view), dlq_(dlq), dlq_topic_(std::move(dlq_topic)) {}

core::Status KeyedProjection::DeadLetter(const log::Record& record, const core::Status& why) {
  core::Logger("projections." + view_.name)
      ->warn("[{} {}/{}] rejecting offset {}: {}{}", view_.name, record.topic,
             record.partition.value(), record.offset.value(), why.ToString(),
             dlq_ ? "" : " (no dead-letter sink: skipped)");
  if (dlq_ == nullptr) return core::Status::Ok();
  return SendDeadLetter(*dlq_, dlq_topic_, record, why, "projection_" + view_.name);
}

void KeyedProjection::CountApplied(const KeyedApplyReport& report) const {
  CountRecords(view_.name, report.records, report.skipped, report.rejected);
  for (size_t t = 0; t < view_.tables.size(); ++t) {
    CountUpsertedRows(view_.name, TableLabel(view_.tables[t].table), report.rows[t]);
    if (report.deleted[t] > 0) {
      CountDeletedRows(view_.name, TableLabel(view_.tables[t].table), report.deleted[t]);
    }
  }
  auto& m = core::MetricsRegistry::Global();
  if (dlq_ != nullptr && report.rejected > 0) {
    m.GetCounter("chainflow_dead_lettered_total", "Records sent to the dead-letter topic",
                 {{"stage", "projection_" + view_.name}})
        .Inc(report.rejected);
  }
}

namespace {

// A batch staged ahead of its transaction (KeyedProjection::Prepare).
struct PreparedRows : PreparedBatch {
  StagedRows staged;
  bool used = false;
};

// The rows `prepared` staged for `batch`, when staging it now would give the
// same: none of its records is below `applied`. Else (or when it is used, or
// none) an empty StagedRows (no tables).
StagedRows TakePrepared(PreparedBatch* prepared, const std::vector<log::Record>& batch,
                        const OffsetMap& applied) {
  auto* rows = dynamic_cast<PreparedRows*>(prepared);
  if (rows == nullptr || rows->used) return {};
  for (const log::Record& r : batch) {
    auto it = applied.find({r.topic, r.partition});
    if (it != applied.end() && r.offset < it->second) return {};
  }
  rows->used = true;
  return std::move(rows->staged);
}

}  // namespace

std::unique_ptr<PreparedBatch> KeyedProjection::Prepare(
    const std::vector<log::Record>& batch) const {
  auto prepared = std::make_unique<PreparedRows>();
  prepared->staged = StageRows(batch, OffsetMap{}, view_.tables, view_.decode);
  return prepared;
}

core::Result<KeyedApplyReport> KeyedProjection::Apply(const std::vector<log::Record>& batch,
                                                      const BatchContext& context) {
  ASSIGN_OR_RETURN(auto tx, conn_.Begin());
  RETURN_IF_ERROR(LockProjection(*tx, view_.name));
  ASSIGN_OR_RETURN(OffsetMap applied, ReadOffsets(*tx, view_.name));
  StagedRows staged = TakePrepared(context.prepared, batch, applied);
  if (staged.tables.empty()) staged = StageRows(batch, applied, view_.tables, view_.decode);
  KeyedApplyReport report;
  report.records = staged.records;
  report.skipped = staged.skipped;
  report.rejected = staged.rejected.size();
  report.ignored = staged.ignored;
  report.rows.assign(view_.tables.size(), 0);
  report.deleted.assign(view_.tables.size(), 0);
  if (staged.records == 0) return report;  // all already applied: the rollback is a no-op

  for (const RejectedRecord& r : staged.rejected) RETURN_IF_ERROR(DeadLetter(*r.record, r.why));
  if (dlq_ && !staged.rejected.empty()) RETURN_IF_ERROR(dlq_->Flush(kDlqFlushTimeout));

  if (view_.before_rows) RETURN_IF_ERROR(view_.before_rows(*tx, context));
  for (size_t t = 0; t < staged.tables.size(); ++t) {
    ASSIGN_OR_RETURN(report.rows[t], Upsert(*tx, view_.tables[t], staged.tables[t].rows()));
    // A key is staged once, so its upsert and its removal never both run.
    ASSIGN_OR_RETURN(report.deleted[t],
                     DeleteKeys(*tx, view_.tables[t], staged.tables[t].removals()));
  }
  if (view_.after_rows) RETURN_IF_ERROR(view_.after_rows(*tx, context));
  RETURN_IF_ERROR(WriteOffsets(*tx, view_.name, staged.next_offsets));
  // Exactly-once tests kill the process here (tests/integration/README.md);
  // every keyed view passes these points.
  core::CrashPoint("projection.before_commit");
  RETURN_IF_ERROR(tx->Commit());
  core::CrashPoint("projection.after_commit");
  CountApplied(report);
  if (view_.on_adjusted) {
    for (const AdjustedRow& row : staged.adjusted) view_.on_adjusted(view_, row);
  }
  return report;
}

core::Result<std::unique_ptr<Projector>> OpenKeyedProjector(
    const ProjectorOptions& options, const KeyedView& view,
    std::unique_ptr<log::RecordSource> source, std::unique_ptr<Connection> conn,
    log::RecordSink* dlq) {
  return Projector::Open(options, std::move(source), std::move(conn), dlq,
                         [&view](Connection& c, log::RecordSink* sink,
                                 const std::string& dlq_topic) {
                           return std::make_unique<KeyedProjection>(c, view, sink, dlq_topic);
                         });
}

core::Status TruncateView(Connection& conn, const KeyedView& view) {
  std::vector<std::string> tables;
  for (const UpsertSpec& spec : view.tables) tables.push_back(spec.table);
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(LockProjection(*tx, view.name));
  ASSIGN_OR_RETURN(int64_t n, tx->Execute(fmt::format("TRUNCATE {}", fmt::join(tables, ", "))));
  (void)n;
  ASSIGN_OR_RETURN(auto rows, tx->Query("DELETE FROM chainflow.projection_offsets "
                                        "WHERE projection = $1",
                                        {view.name}));
  (void)rows;
  RETURN_IF_ERROR(tx->Commit());
  core::Logger("projections." + view.name)
      ->info("truncated {} and their offsets", fmt::join(tables, ", "));
  return core::Status::Ok();
}

}  // namespace chainflow::projections::pg
