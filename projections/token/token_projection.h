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

namespace chainflow::projections::token {

// The projection's name in chainflow.projection_offsets and its advisory lock.
inline constexpr std::string_view kProjectionName = "token";

// What one Apply() did.
struct ApplyReport {
  size_t records = 0;
  size_t skipped = 0;
  size_t rejected = 0;
  size_t ignored = 0;
  int64_t balance_rows = 0;  // token_balances rows inserted, updated or deleted
  int64_t supply_rows = 0;   // token_supply rows inserted, updated or deleted
};

// Materializes token.balances records into chainflow.token_balances and
// chainflow.token_supply (rules: rows.h). Not thread-safe.
class TokenProjection : public pg::BatchProjection {
 public:
  // `conn` must outlive this object; `dlq` is optional (nullptr: rejected
  // records are only counted and logged) and, when set, must outlive it.
  explicit TokenProjection(pg::Connection& conn, engine::log::RecordSink* dlq = nullptr,
                           std::string dlq_topic = "");

  // Applies `batch` in ONE transaction: the projection's advisory lock, its
  // stored offsets (records below them are left out), the deduplicated rows
  // (pg::Upsert) and the new offsets, then commit. Rejected records go to
  // the DLQ, flushed before the commit. On error nothing is written. The
  // shared keyed runner does it.
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

// For `chainflow rebuild`: empties token_balances and token_supply and
// deletes this projection's offsets, in one transaction.
core::Status Truncate(pg::Connection& conn);

}  // namespace chainflow::projections::token
