#include "projections/nft/nft_projection.h"

#include "engine/core/crash_point.h"

#include <chrono>
#include <string>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/nft/rows.h"
#include "projections/pg/dead_letter.h"
#include "projections/pg/offsets.h"
#include "projections/pg/projection_metrics.h"
#include "projections/pg/upsert.h"

namespace chainflow::projections::nft {
namespace {

namespace log = engine::log;

constexpr std::chrono::seconds kDlqFlushTimeout{30};

const pg::UpsertSpec& OwnersSpec() {
  static const pg::UpsertSpec spec{
      "chainflow.nft_owners",
      {"chain", "contract", "token_id", "owner", "block_number", "log_index", "tx_hash"},
      {"chain", "contract", "token_id"}};
  return spec;
}

const pg::UpsertSpec& BalancesSpec() {
  static const pg::UpsertSpec spec{"chainflow.nft_balances",
                                   {"chain", "contract", "token_id", "owner", "balance"},
                                   {"chain", "contract", "token_id", "owner"}};
  return spec;
}

// The rows' fields in column order; the rows are not used afterwards, so
// their strings move.
std::vector<std::vector<std::string>> OwnerFields(std::vector<OwnerRow>& rows) {
  std::vector<std::vector<std::string>> out;
  out.reserve(rows.size());
  for (OwnerRow& r : rows) {
    out.push_back({std::move(r.chain), std::move(r.contract), std::move(r.token_id),
                   std::move(r.owner), std::to_string(r.block_number),
                   std::to_string(r.log_index), std::move(r.tx_hash)});
  }
  return out;
}

std::vector<std::vector<std::string>> BalanceFields(std::vector<BalanceRow>& rows) {
  std::vector<std::vector<std::string>> out;
  out.reserve(rows.size());
  for (BalanceRow& r : rows) {
    out.push_back({std::move(r.chain), std::move(r.contract), std::move(r.token_id),
                   std::move(r.owner), std::move(r.balance)});
  }
  return out;
}

void CountApplied(const ApplyReport& report) {
  pg::CountRecords(kProjectionName, report.records, report.skipped, report.rejected);
  pg::CountUpsertedRows(kProjectionName, "nft_owners", report.owner_rows);
  pg::CountUpsertedRows(kProjectionName, "nft_balances", report.balance_rows);
  auto& m = core::MetricsRegistry::Global();
  m.GetCounter("chainflow_projection_rows_deleted_total", "View rows deleted by retractions",
               {{"projection", std::string(kProjectionName)}, {"table", "nft_owners"}})
      .Inc(static_cast<uint64_t>(report.owner_rows_deleted));
}

}  // namespace

NftProjection::NftProjection(pg::Connection& conn, log::RecordSink* dlq, std::string dlq_topic)
    : conn_(conn), dlq_(dlq), dlq_topic_(std::move(dlq_topic)) {}

core::Status NftProjection::DeadLetter(const log::Record& record, const core::Status& why) {
  return pg::SendDeadLetter(*dlq_, dlq_topic_, record, why, "projection_nft");
}

core::Result<ApplyReport> NftProjection::Apply(const std::vector<log::Record>& batch) {
  ASSIGN_OR_RETURN(auto tx, conn_.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, kProjectionName));
  ASSIGN_OR_RETURN(pg::OffsetMap applied, pg::ReadOffsets(*tx, kProjectionName));
  StagedBatch staged = StageBatch(batch, applied);

  ApplyReport report;
  report.records = staged.records;
  report.skipped = staged.skipped;
  report.rejected = staged.rejected.size();
  report.ignored = staged.ignored;
  if (staged.records == 0) return report;  // all already applied: the rollback is a no-op

  for (const Rejected& r : staged.rejected) {
    core::Logger("projections.nft")
        ->warn("[nft {}/{}] rejecting offset {}: {}{}", r.record->topic,
               r.record->partition.value(), r.record->offset.value(), r.why.ToString(),
               dlq_ ? "" : " (no dead-letter sink: skipped)");
    if (dlq_) RETURN_IF_ERROR(DeadLetter(*r.record, r.why));
  }
  if (dlq_ && !staged.rejected.empty()) RETURN_IF_ERROR(dlq_->Flush(kDlqFlushTimeout));

  // Deleted keys are not in `owners` (StageBatch keeps one change per key),
  // so the order of the two statements does not matter.
  std::vector<std::vector<std::string>> gone;
  gone.reserve(staged.owner_deletes.size());
  for (const OwnerRow& r : staged.owner_deletes) gone.push_back({r.chain, r.contract, r.token_id});
  ASSIGN_OR_RETURN(report.owner_rows_deleted, pg::DeleteKeys(*tx, OwnersSpec(), gone));
  ASSIGN_OR_RETURN(report.owner_rows, pg::Upsert(*tx, OwnersSpec(), OwnerFields(staged.owners)));
  ASSIGN_OR_RETURN(report.balance_rows,
                   pg::Upsert(*tx, BalancesSpec(), BalanceFields(staged.balances)));
  RETURN_IF_ERROR(pg::WriteOffsets(*tx, kProjectionName, staged.next_offsets));
  core::CrashPoint("projection.before_commit");
  RETURN_IF_ERROR(tx->Commit());
  core::CrashPoint("projection.after_commit");
  CountApplied(report);
  if (!staged.rejected.empty()) {
    core::MetricsRegistry::Global()
        .GetCounter("chainflow_dead_lettered_total", "Records sent to the dead-letter topic",
                    {{"stage", "projection_nft"}})
        .Inc(dlq_ ? staged.rejected.size() : 0);
  }
  return report;
}

core::Status Truncate(pg::Connection& conn) {
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, kProjectionName));
  ASSIGN_OR_RETURN(int64_t n, tx->Execute("TRUNCATE chainflow.nft_owners, chainflow.nft_balances"));
  (void)n;
  ASSIGN_OR_RETURN(auto rows, tx->Query("DELETE FROM chainflow.projection_offsets "
                                        "WHERE projection = $1",
                                        {std::string(kProjectionName)}));
  (void)rows;
  RETURN_IF_ERROR(tx->Commit());
  core::Logger("projections.nft")->info("truncated nft_owners, nft_balances and their offsets");
  return core::Status::Ok();
}

}  // namespace chainflow::projections::nft
