#include "projections/contracts/contract_view.h"

#include <limits>
#include <optional>

#include <fmt/format.h>

#include "engine/abi/proto_value.h"
#include "engine/core/address.h"
#include "engine/core/check.h"
#include "engine/core/hex.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/contracts/schema.h"
#include "projections/contracts/wire_record.h"
#include "projections/pg/migrate.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

constexpr std::chrono::seconds kWarnEvery{10};

// The fixed columns' fields, in abi::FixedColumns() order.
std::vector<std::string> FixedFields(std::string_view chain, std::string address,
                                     int64_t block_number, std::string block_hash,
                                     int64_t block_timestamp, std::string tx_hash,
                                     int32_t tx_index, int32_t log_index, size_t parameters) {
  std::vector<std::string> fields;
  fields.reserve(abi::FixedColumns().size() + parameters);
  fields.emplace_back(chain);
  fields.push_back(std::move(address));
  fields.push_back(std::to_string(block_number));
  fields.push_back(std::move(block_hash));
  fields.push_back(std::to_string(block_timestamp));
  fields.push_back(std::move(tx_hash));
  fields.push_back(std::to_string(tx_index));
  fields.push_back(std::to_string(log_index));
  return fields;
}

// The row of a record ReadWireRecord read, made as DecodeContractRecord and
// RowsOf would make it, when the record is a plain one: a selected event of
// this contract whose fields and values all fit. nullopt for anything else
// (a retraction, an error to report): the caller takes the full path.
std::optional<pg::TableRow> WireRow(const WireRecord& w, const abi::CatalogContract& contract,
                                    const std::vector<TableSpec>& tables) {
  constexpr auto kBigint = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  constexpr auto kInteger = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
  if (w.contract != contract.name() || w.retracted || w.chain.empty() ||
      w.address.size() != core::Address::kSize || w.tx_hash.size() != 32 ||
      !(w.block_hash.empty() || w.block_hash.size() == 32) || w.block_number > kBigint ||
      w.block_timestamp > kBigint || w.tx_index > kInteger || w.log_index > kInteger) {
    return std::nullopt;
  }
  const abi::Event* definition = contract.decoder.Find(w.signature);
  if (definition == nullptr || definition->inputs.size() != w.value_count) return std::nullopt;
  const size_t index = static_cast<size_t>(definition - contract.decoder.events().data());
  CF_CHECK(index < tables.size(), "event {} outside the contract's tables", index);
  const TableSpec& table = tables[index];
  pg::TableRow row{
      index,
      FixedFields(w.chain, core::ToHex(w.address), static_cast<int64_t>(w.block_number),
                  w.block_hash.empty() ? std::string() : core::ToHex(w.block_hash),
                  static_cast<int64_t>(w.block_timestamp), core::ToHex(w.tx_hash),
                  static_cast<int32_t>(w.tx_index), static_cast<int32_t>(w.log_index),
                  table.columns.size())};
  for (size_t c = 0; c < table.columns.size(); ++c) {
    const WireRecord::Value& wire = w.values[c];
    core::Result<abi::Value> value = abi::ScalarFromProto(
        {static_cast<v1::AbiValue::KindCase>(wire.kind), wire.bytes, wire.flag},
        definition->inputs[c].type);
    if (!value) return std::nullopt;
    bool adjusted = false;
    core::Result<std::string> text = ColumnText(value.value(), table.columns[c], &adjusted);
    if (!text) return std::nullopt;
    row.fields.push_back(std::move(text).value());
    if (adjusted) row.adjusted.push_back(table.columns[c].name);
  }
  return row;
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
  pg::TableRow row{index,
                   FixedFields(record.chain, record.address, record.block_number,
                               record.block_hash, record.block_timestamp, record.tx_hash,
                               record.tx_index, record.log_index, table.columns.size())};
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

pg::RecordDecoder RecordDecoderOf(const abi::CatalogContract& contract,
                                  const std::vector<TableSpec>& tables) {
  return [&contract, &tables](const engine::log::Record& record)
             -> core::Result<std::vector<pg::TableRow>> {
    // Most records are plain protobuf ones: read in place (an allocation a
    // field at most) instead of through a parsed Envelope and a
    // ContractRecord (some forty allocations a record; benchmarks/README.md).
    if (!record.value.empty() && record.value.front() != '{') {
      WireRecord wire;
      if (ReadWireRecord(record.value, &wire)) {
        if (std::optional<pg::TableRow> row = WireRow(wire, contract, tables)) {
          std::vector<pg::TableRow> rows;
          rows.push_back(std::move(*row));
          return rows;
        }
      }
    }
    ASSIGN_OR_RETURN(ContractRecord decoded,
                     DecodeContractRecord(record.value, contract.name(), contract.decoder));
    return RowsOf(decoded, contract.decoder, tables);
  };
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
  view_.decode = RecordDecoderOf(contract_, tables_);
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
