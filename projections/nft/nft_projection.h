#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "projections/pg/connection.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/projector.h"

namespace chainflow::projections::nft {

// The projection's name in chainflow.projection_offsets and its advisory lock.
inline constexpr std::string_view kProjectionName = "nft";

// What one Apply() did.
struct ApplyReport {
  size_t records = 0;       // records consumed by this batch (offsets advanced past them)
  size_t skipped = 0;       // already covered by the stored offsets: not applied again
  size_t rejected = 0;      // undecodable (dead-lettered when a DLQ sink is set)
  size_t ignored = 0;       // other payloads
  int64_t owner_rows = 0;   // nft_owners rows inserted or updated
  int64_t balance_rows = 0; // nft_balances rows inserted or updated
  int64_t owner_rows_deleted = 0;  // nft_owners rows deleted by retractions
};

// Materializes nft.ownership records into chainflow.nft_owners and
// chainflow.nft_balances (rules: projections/nft/rows.h). Not thread-safe.
class NftProjection : public pg::BatchProjection {
 public:
  // `conn` must outlive this object. `dlq` is optional (nullptr: rejected
  // records are only counted and logged); when set it must outlive this
  // object and receives each rejected record on `dlq_topic`.
  explicit NftProjection(pg::Connection& conn, engine::log::RecordSink* dlq = nullptr,
                         std::string dlq_topic = "");

  // Applies `batch` in ONE transaction: takes the projection's advisory
  // lock, reads its stored next offsets, leaves out records below them,
  // upserts the deduplicated rows (COPY + INSERT ... ON CONFLICT), deletes
  // the rows of retractions to nothing and writes the new next offsets, then
  // commits: the shared keyed runner over View() (rows.h). Rejected records
  // are sent to the DLQ and flushed before the commit, so none is lost. On
  // error nothing is written (the batch can be redone as is): Unavailable
  // (connection) and Aborted (conflict) are worth retrying; Internal is a
  // broken invariant.
  core::Result<ApplyReport> Apply(const std::vector<engine::log::Record>& batch);
  // pg::BatchProjection: Apply without the report (it is counted in metrics).
  core::Status ApplyBatch(const std::vector<engine::log::Record>& batch,
                          const pg::BatchContext& /*context*/) override {
    core::Result<ApplyReport> report = Apply(batch);
    return report ? core::Status::Ok() : report.error();
  }

 private:
  pg::KeyedProjection keyed_;  // over View() (rows.h)
};

// For `chainflow rebuild`: empties nft_owners and nft_balances and deletes
// this projection's stored offsets, in one transaction (under the
// projection's lock), so the next run re-applies the topic from its start.
core::Status Truncate(pg::Connection& conn);

}  // namespace chainflow::projections::nft
