#include "projections/contracts/contract_view.h"

#include <fmt/format.h>

#include "engine/core/check.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/contracts/schema.h"
#include "projections/pg/migrate.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

constexpr std::chrono::seconds kWarnEvery{10};

std::vector<std::string> FixedFields(const ContractRecord& r) {
  return {r.chain,
          r.address,
          std::to_string(r.block_number),
          r.block_hash,
          std::to_string(r.block_timestamp),
          r.tx_hash,
          std::to_string(r.tx_index),
          std::to_string(r.log_index)};
}

}  // namespace

std::string ProjectionName(std::string_view contract) {
  return "contract." + std::string(contract);
}

pg::UpsertSpec UpsertSpecOf(const std::string& contract, const TableSpec& table) {
  pg::UpsertSpec spec;
  spec.table = Quote(contract) + "." + Quote(table.table);
  spec.columns = abi::FixedColumns();
  for (const ColumnSpec& c : table.columns) spec.columns.push_back(Quote(c.name));
  spec.key = {"chain", "block_number", "log_index"};
  spec.null_if_empty = {"block_hash"};
  spec.delete_match = {"contract", "block_hash"};
  // Events arrive in chain order: a replay or a caught-up follower only
  // appends, and a batch is COPied straight in (served by the primary key,
  // or by <table>_by_position on tables made before it led with the
  // position).
  spec.append_position = {"block_number", "log_index"};
  return spec;
}

core::Result<std::vector<pg::TableRow>> RowsOf(const ContractRecord& record,
                                               const abi::EventDecoder& events,
                                               const std::vector<TableSpec>& tables) {
  if (record.definition == nullptr) return std::vector<pg::TableRow>{};
  const size_t index = static_cast<size_t>(record.definition - events.events().data());
  CF_CHECK(index < tables.size(), "event {} outside the contract's tables", index);
  const TableSpec& table = tables[index];
  pg::TableRow row{index, FixedFields(record)};
  if (record.retracted) {
    row.fields.resize(row.fields.size() + table.columns.size());
    row.remove = true;
    return std::vector<pg::TableRow>{std::move(row)};
  }
  CF_CHECK(record.values.size() == table.columns.size(), "{} values for {} columns",
           record.values.size(), table.columns.size());
  for (size_t c = 0; c < table.columns.size(); ++c) {
    bool adjusted = false;
    ASSIGN_OR_RETURN(std::string text, ColumnText(record.values[c], table.columns[c], &adjusted));
    row.fields.push_back(std::move(text));
    if (adjusted) row.adjusted.push_back(table.columns[c].name);
  }
  return std::vector<pg::TableRow>{std::move(row)};
}

ContractProjection::ContractProjection(pg::Connection& conn,
                                       std::shared_ptr<const abi::Catalog> catalog,
                                       const abi::CatalogContract& contract,
                                       engine::log::RecordSink* dlq, std::string dlq_topic,
                                       IndexLoadOptions indexes)
    : conn_(conn),
      catalog_(std::move(catalog)),
      contract_(contract),
      tables_(TableSpecsOf(contract)) {
  view_.name = ProjectionName(contract.name());
  indexes_ = std::make_unique<DeferredIndexes>(contract.name(), view_.name,
                                               ParameterIndexesOf(contract.name(), tables_),
                                               indexes);
  view_.before_rows = [this](pg::Transaction& tx, const pg::BatchContext& context) {
    return indexes_->BeforeRows(tx, context);
  };
  view_.after_rows = [this](pg::Transaction& tx, const pg::BatchContext& context) {
    return indexes_->AfterRows(tx, context);
  };
  for (const TableSpec& t : tables_) view_.tables.push_back(UpsertSpecOf(contract.name(), t));
  view_.decode = [this](const engine::log::Record& record)
      -> core::Result<std::vector<pg::TableRow>> {
    ASSIGN_OR_RETURN(ContractRecord decoded,
                     DecodeContractRecord(record.value, contract_.name(), contract_.decoder));
    return RowsOf(decoded, contract_.decoder, tables_);
  };
  view_.on_adjusted = [this](const pg::KeyedView& view, const pg::AdjustedRow& row) {
    ReportAdjusted(view, row);
  };
  keyed_ = std::make_unique<pg::KeyedProjection>(conn, view_, dlq, std::move(dlq_topic));
}

core::Result<pg::KeyedApplyReport> ContractProjection::Apply(
    const std::vector<engine::log::Record>& batch, const pg::BatchContext& context) {
  core::Result<pg::KeyedApplyReport> report = keyed_->Apply(batch, context);
  indexes_->Settle(report.has_value());
  return report;
}

void ContractProjection::ReportAdjusted(const pg::KeyedView& view, const pg::AdjustedRow& row) {
  const std::string& table = tables_[row.table].table;
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_sanitized_values_total",
                  "Values changed to fit PostgreSQL (NUL removed, invalid UTF-8 replaced)",
                  {{"contract", contract_.name()}, {"table", table}})
      .Inc(row.columns.size());
  Quiet& q = quiet_[row.table];
  const auto now = std::chrono::steady_clock::now();
  if (q.last != std::chrono::steady_clock::time_point{} && now - q.last < kWarnEvery) {
    q.suppressed += row.columns.size();
    return;
  }
  // row.key is (chain, block_number, log_index).
  core::Logger("projections.contracts")
      ->warn("[{}] contract {}, table {}, column(s) {}: block {} log index {} on {}: NUL "
             "removed or invalid UTF-8 replaced by U+FFFD{}",
             view.name, contract_.name(), table, fmt::join(row.columns, ", "), row.key[1],
             row.key[2], row.key[0],
             q.suppressed ? fmt::format(" ({} more values since the last warning)", q.suppressed)
                          : "");
  q.last = now;
  q.suppressed = 0;
}

core::Status FinishBulkLoad(pg::Connection& conn, const abi::CatalogContract& contract) {
  return BuildParameterIndexes(conn, contract.name(), ProjectionName(contract.name()),
                               ParameterIndexesOf(contract.name(), TableSpecsOf(contract)));
}

core::Result<std::unique_ptr<pg::Projector>> OpenProjector(
    const pg::ProjectorOptions& options, std::shared_ptr<const abi::Catalog> catalog,
    const std::string& name, std::unique_ptr<engine::log::RecordSource> source,
    std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq) {
  const abi::CatalogContract* contract = catalog ? catalog->Find(name) : nullptr;
  if (contract == nullptr) {
    return core::NotFoundError(fmt::format("no ABI contract named \"{}\"", name));
  }
  if (!conn) return core::InvalidArgumentError("contract projection: null connection");
  RETURN_IF_ERROR(pg::Migrate(*conn));
  RETURN_IF_ERROR(EnsureSchema(*conn, name, ProjectionName(name), TableSpecsOf(*contract)));
  return pg::Projector::Open(
      options, std::move(source), std::move(conn), dlq,
      [catalog, contract,
       indexes = IndexLoadOptions{.min_backlog = options.defer_indexes_records,
                                  .bulk_load = options.bulk_load}](
          pg::Connection& c, engine::log::RecordSink* sink, const std::string& dlq_topic) {
        return std::make_unique<ContractProjection>(c, catalog, *contract, sink, dlq_topic,
                                                    indexes);
      });
}

}  // namespace chainflow::projections::contracts
