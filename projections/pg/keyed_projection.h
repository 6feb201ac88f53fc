#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "projections/pg/connection.h"
#include "projections/pg/keyed_rows.h"
#include "projections/pg/projector.h"
#include "projections/pg/upsert.h"

namespace chainflow::projections::pg {

// A view whose records each replace rows by key: the definition a
// KeyedProjection applies. Views define one as a function-local static.
struct KeyedView {
  std::string name;                // the projection: offsets, lock, metrics, logs
  std::vector<UpsertSpec> tables;  // every table it writes, in TableRow::table order
  RecordDecoder decode;
  // Optional: called after each commit for every applied row with adjusted
  // values (TableRow::adjusted), on the projection's thread; may log and
  // count, must not fail.
  std::function<void(const KeyedView& view, const AdjustedRow& row)> on_adjusted = {};
  // Optional: run in each batch's transaction that writes rows, `before_rows`
  // after the stored offsets are read and before the rows are written,
  // `after_rows` after them and before the new offsets; an error rolls the
  // batch back. (The contract tables defer their indexes with them.)
  std::function<core::Status(Transaction& tx, const BatchContext& context)> before_rows = {};
  std::function<core::Status(Transaction& tx, const BatchContext& context)> after_rows = {};
};

// What one Apply() did.
struct KeyedApplyReport {
  size_t records = 0;
  size_t skipped = 0;
  size_t rejected = 0;
  size_t ignored = 0;
  std::vector<int64_t> rows;     // per table: rows inserted or updated
  std::vector<int64_t> deleted;  // per table: rows deleted
};

// Applies batches of a KeyedView (projections/README.md, "The transaction +
// offsets rule"): in ONE transaction the view's advisory lock, its stored
// offsets (records below them are left out), the coalesced rows (pg::Upsert
// and pg::DeleteKeys, one each per table) and the new offsets. Rejected records go to the DLQ
// (headers cf_error, cf_source_topic/partition/offset, cf_processor =
// "projection_<name>"), flushed before the commit. On error nothing is
// written. Not thread-safe.
class KeyedProjection : public BatchProjection {
 public:
  // `conn` and `view` must outlive this object; `dlq` is optional (nullptr:
  // rejected records are only counted and logged) and, when set, too.
  KeyedProjection(Connection& conn, const KeyedView& view, engine::log::RecordSink* dlq = nullptr,
                  std::string dlq_topic = "");

  core::Result<KeyedApplyReport> Apply(const std::vector<engine::log::Record>& batch,
                                       const BatchContext& context = {});
  core::Status ApplyBatch(const std::vector<engine::log::Record>& batch,
                          const BatchContext& context) override {
    core::Result<KeyedApplyReport> report = Apply(batch, context);
    return report ? core::Status::Ok() : report.error();
  }
  // Stages `batch` as if nothing of it were applied yet (the decoders are
  // pure and the view immutable, so any thread may). Apply uses it when the
  // stored offsets it reads skip none of the batch's records, as they do
  // unless another writer of the view got there first; else it stages again.
  std::unique_ptr<PreparedBatch> Prepare(
      const std::vector<engine::log::Record>& batch) const override;

 private:
  core::Status DeadLetter(const engine::log::Record& record, const core::Status& why);
  void CountApplied(const KeyedApplyReport& report) const;

  Connection& conn_;
  const KeyedView& view_;
  engine::log::RecordSink* dlq_;
  std::string dlq_topic_;
};

// The projection loop (pg::Projector) over a KeyedProjection of `view`,
// which must outlive it.
core::Result<std::unique_ptr<Projector>> OpenKeyedProjector(
    const ProjectorOptions& options, const KeyedView& view,
    std::unique_ptr<engine::log::RecordSource> source, std::unique_ptr<Connection> conn,
    engine::log::RecordSink* dlq = nullptr);

// For `chainflow rebuild`: empties the view's tables and deletes its
// offsets, in one transaction under its advisory lock.
core::Status TruncateView(Connection& conn, const KeyedView& view);

}  // namespace chainflow::projections::pg
