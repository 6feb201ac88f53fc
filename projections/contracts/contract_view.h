#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/abi/catalog.h"
#include "engine/core/result.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "projections/contracts/columns.h"
#include "projections/contracts/deferred_indexes.h"
#include "projections/contracts/record.h"
#include "projections/pg/connection.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/projector.h"

namespace chainflow::projections::contracts {

// "contract.<name>": the projection of one ABI contract (offsets, advisory
// lock, consumer group suffix, metrics label, `rebuild --view`).
std::string ProjectionName(std::string_view contract);

// The rows a decoded record makes (README.md, "Apply rules"): one row of
// table `definition`'s index, fixed columns then `tables[i].columns`; a
// retraction is a removal of (chain, block_number, log_index) that matches
// only the row of the same address and block hash. No rows when the event
// is not selected any more. TableRow::adjusted names the columns the text
// rule changed. InvalidArgument when a value does not fit its column.
// `events` are the contract's selected events; `tables` TableSpecsOf it.
core::Result<std::vector<pg::TableRow>> RowsOf(const ContractRecord& record,
                                               const engine::abi::EventDecoder& events,
                                               const std::vector<TableSpec>& tables);

// The projection's record decoder (pg::KeyedView::decode): the rows of one
// record of the contract's topic, DecodeContractRecord then RowsOf, or the
// same rows read in place for a plain protobuf record (ReadWireRecord).
// Pure; thread-safe. `contract` and `tables` (TableSpecsOf it) must outlive it.
pg::RecordDecoder RecordDecoderOf(const engine::abi::CatalogContract& contract,
                                  const std::vector<TableSpec>& tables);

// The UpsertSpec of a table of schema `contract`.
pg::UpsertSpec UpsertSpecOf(const std::string& contract, const TableSpec& table);

// One ABI contract's projection: a pg::KeyedProjection over its tables,
// decoding <prefix>.contract.<name> (record.h); values changed by the text
// rule are logged (warn, at most one line per table every 10 s with the
// count since) and counted in
// chainflow_projection_sanitized_values_total{contract,table}. Owns its
// view; keeps the catalog alive. Not thread-safe (the projector's thread).
class ContractProjection : public pg::BatchProjection {
 public:
  // `contract` must belong to `catalog`. `conn` must outlive this; `dlq`
  // is optional and, when set, too.
  // `indexes`: when its parameter indexes wait for a bulk load to end
  // (DeferredIndexes).
  ContractProjection(pg::Connection& conn, std::shared_ptr<const engine::abi::Catalog> catalog,
                     const engine::abi::CatalogContract& contract,
                     engine::log::RecordSink* dlq = nullptr, std::string dlq_topic = "",
                     IndexLoadOptions indexes = {});

  core::Result<pg::KeyedApplyReport> Apply(const std::vector<engine::log::Record>& batch,
                                           const pg::BatchContext& context = {});
  core::Status ApplyBatch(const std::vector<engine::log::Record>& batch,
                          const pg::BatchContext& context) override {
    core::Result<pg::KeyedApplyReport> report = Apply(batch, context);
    return report ? core::Status::Ok() : report.error();
  }
  // Builds the parameter indexes a bulk load dropped (DeferredIndexes).
  std::unique_ptr<pg::PreparedBatch> Prepare(
      const std::vector<engine::log::Record>& batch) const override {
    return keyed_->Prepare(batch);
  }
  core::Status Idle() override { return indexes_->Idle(conn_); }
  // DeferredIndexes::deferred: whether some parameter index is missing.
  std::optional<bool> deferred_indexes() const { return indexes_->deferred(); }

 private:
  void ReportAdjusted(const pg::KeyedView& view, const pg::AdjustedRow& row);

  pg::Connection& conn_;
  std::shared_ptr<const engine::abi::Catalog> catalog_;
  const engine::abi::CatalogContract& contract_;
  std::vector<TableSpec> tables_;
  pg::KeyedView view_;
  std::unique_ptr<DeferredIndexes> indexes_;
  std::unique_ptr<pg::KeyedProjection> keyed_;
  // Rate limit of the warnings, per table: when the last line went out and
  // how many values changed since.
  struct Quiet {
    std::chrono::steady_clock::time_point last{};
    uint64_t suppressed = 0;
  };
  std::map<size_t, Quiet> quiet_;
};

// After a bulk load (ProjectorOptions::bulk_load) has reached the end of the
// contract's topic and its projector stopped: builds the parameter indexes
// the load dropped (DeferredIndexes).
core::Status FinishBulkLoad(pg::Connection& conn, const engine::abi::CatalogContract& contract);

// Runs pg::Migrate, brings the contract's schema up to date (EnsureSchema:
// an incompatible ABI change stops here with its message) and opens the
// projection loop over a ContractProjection. NotFound when `catalog` has no
// contract `name`.
core::Result<std::unique_ptr<pg::Projector>> OpenProjector(
    const pg::ProjectorOptions& options, std::shared_ptr<const engine::abi::Catalog> catalog,
    const std::string& name, std::unique_ptr<engine::log::RecordSource> source,
    std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq = nullptr);

}  // namespace chainflow::projections::contracts
