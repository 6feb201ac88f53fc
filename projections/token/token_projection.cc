#include "projections/token/token_projection.h"

#include <chrono>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/pg/dead_letter.h"
#include "projections/pg/offsets.h"
#include "projections/pg/projection_metrics.h"
#include "projections/pg/upsert.h"
#include "projections/token/rows.h"

namespace chainflow::projections::token {
namespace {

namespace log = engine::log;

constexpr std::chrono::seconds kDlqFlushTimeout{30};

const pg::UpsertSpec& BalancesSpec() {
  static const pg::UpsertSpec spec{"chainflow.token_balances",
                                   {"chain", "token", "account", "balance", "block_number"},
                                   {"chain", "token", "account"}};
  return spec;
}

const pg::UpsertSpec& SupplySpec() {
  static const pg::UpsertSpec spec{"chainflow.token_supply",
                                   {"chain", "token", "total_supply", "block_number"},
                                   {"chain", "token"}};
  return spec;
}

void CountApplied(const ApplyReport& report) {
  pg::CountRecords(kProjectionName, report.records, report.skipped, report.rejected);
  pg::CountUpsertedRows(kProjectionName, "token_balances", report.balance_rows);
  pg::CountUpsertedRows(kProjectionName, "token_supply", report.supply_rows);
}

}  // namespace

TokenProjection::TokenProjection(pg::Connection& conn, log::RecordSink* dlq,
                                 std::string dlq_topic)
    : conn_(conn), dlq_(dlq), dlq_topic_(std::move(dlq_topic)) {}

core::Result<ApplyReport> TokenProjection::Apply(const std::vector<log::Record>& batch) {
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

  for (const Rejected& r : staged.rejected) {
    core::Logger("projections.token")
        ->warn("[token {}/{}] rejecting offset {}: {}", r.record->topic,
               r.record->partition.value(), r.record->offset.value(), r.why.ToString());
    if (dlq_ == nullptr) continue;
    RETURN_IF_ERROR(pg::SendDeadLetter(*dlq_, dlq_topic_, *r.record, r.why, "projection_token"));
  }
  if (dlq_ && !staged.rejected.empty()) RETURN_IF_ERROR(dlq_->Flush(kDlqFlushTimeout));

  // Each key is staged once: its rows are either upserted or deleted.
  std::vector<std::vector<std::string>> rows, gone;
  rows.reserve(staged.balances.size());
  for (const BalanceRow& r : staged.balances) {
    if (r.removed) {
      gone.push_back({r.chain, r.token, r.account});
    } else {
      rows.push_back({r.chain, r.token, r.account, r.balance, std::to_string(r.block_number)});
    }
  }
  ASSIGN_OR_RETURN(report.balance_rows, pg::Upsert(*tx, BalancesSpec(), rows));
  if (!gone.empty()) {
    ASSIGN_OR_RETURN(int64_t deleted, pg::DeleteKeys(*tx, BalancesSpec(), gone));
    report.balance_rows += deleted;
  }
  rows.clear();
  gone.clear();
  for (const SupplyRow& r : staged.supplies) {
    if (r.removed) {
      gone.push_back({r.chain, r.token});
    } else {
      rows.push_back({r.chain, r.token, r.total_supply, std::to_string(r.block_number)});
    }
  }
  ASSIGN_OR_RETURN(report.supply_rows, pg::Upsert(*tx, SupplySpec(), rows));
  if (!gone.empty()) {
    ASSIGN_OR_RETURN(int64_t deleted, pg::DeleteKeys(*tx, SupplySpec(), gone));
    report.supply_rows += deleted;
  }
  RETURN_IF_ERROR(pg::WriteOffsets(*tx, kProjectionName, staged.next_offsets));
  RETURN_IF_ERROR(tx->Commit());
  CountApplied(report);
  return report;
}

core::Status Truncate(pg::Connection& conn) {
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, kProjectionName));
  ASSIGN_OR_RETURN(int64_t n,
                   tx->Execute("TRUNCATE chainflow.token_balances, chainflow.token_supply"));
  (void)n;
  ASSIGN_OR_RETURN(auto rows, tx->Query("DELETE FROM chainflow.projection_offsets "
                                        "WHERE projection = $1",
                                        {std::string(kProjectionName)}));
  (void)rows;
  return tx->Commit();
}

}  // namespace chainflow::projections::token
