#include "projections/contracts/schema.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "engine/core/logging.h"
#include "projections/contracts/schema_plan.h"
#include "projections/pg/migrate.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::contracts {
namespace {

namespace json = boost::json;

core::Status WriteRegistry(pg::Transaction& tx, const std::string& contract,
                           const TableSpec& t) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("INSERT INTO chainflow.contract_tables "
                            "(contract, event_table, event, signature, columns) "
                            "VALUES ($1, $2, $3, $4, $5::jsonb) "
                            "ON CONFLICT (contract, event_table) DO UPDATE SET "
                            "event = EXCLUDED.event, signature = EXCLUDED.signature, "
                            "columns = EXCLUDED.columns, updated_at = now() "
                            "WHERE (contract_tables.event, contract_tables.signature, "
                            "contract_tables.columns) IS DISTINCT FROM "
                            "(EXCLUDED.event, EXCLUDED.signature, EXCLUDED.columns)",
                            {contract, t.table, t.event, t.signature, ColumnsJson(t.columns)}));
  (void)rows;
  return core::Status::Ok();
}

}  // namespace

core::Status CheckSchemaName(const std::string& contract) {
  if (contract == "chainflow" || contract == "public" || contract == "information_schema" ||
      contract.rfind("pg_", 0) == 0) {
    return core::InvalidArgumentError(fmt::format(
        "contract \"{}\": its name is a schema PostgreSQL or chainflow already uses; rename "
        "the [[contracts]] entry",
        contract));
  }
  return core::Status::Ok();
}

std::string ColumnsJson(const std::vector<ColumnSpec>& columns) {
  json::array out;
  for (const ColumnSpec& c : columns) {
    out.push_back(json::object{{"column", c.name},
                               {"parameter", c.parameter},
                               {"abi_type", c.abi_type},
                               {"sql_type", c.sql_type},
                               {"indexed", c.indexed}});
  }
  return json::serialize(out);
}

core::Result<std::vector<ColumnSpec>> ParseColumnsJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_array()) return core::DataLossError("contract_tables.columns: not an array");
  std::vector<ColumnSpec> out;
  for (const json::value& e : v.get_array()) {
    const json::object* o = e.if_object();
    auto text_of = [o](std::string_view key) -> const json::string* {
      const json::value* f = o ? o->if_contains(key) : nullptr;
      return f ? f->if_string() : nullptr;
    };
    const json::value* indexed = o ? o->if_contains("indexed") : nullptr;
    if (!text_of("column") || !text_of("parameter") || !text_of("abi_type") ||
        !text_of("sql_type") || indexed == nullptr || !indexed->is_bool()) {
      return core::DataLossError("contract_tables.columns: a malformed entry");
    }
    out.push_back({std::string(*text_of("column")), std::string(*text_of("parameter")),
                   std::string(*text_of("abi_type")), std::string(*text_of("sql_type")),
                   indexed->get_bool()});
  }
  return out;
}

core::Result<std::vector<TableSpec>> ReadRegistry(pg::Transaction& tx,
                                                  const std::string& contract) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT event_table, event, signature, columns::text "
                                       "FROM chainflow.contract_tables WHERE contract = $1 "
                                       "ORDER BY event_table",
                                       {contract}));
  std::vector<TableSpec> out;
  for (const pg::TextRow& row : rows) {
    if (!row[0] || !row[1] || !row[2] || !row[3]) {
      return core::DataLossError("contract_tables: NULL in a NOT NULL column");
    }
    ASSIGN_OR_RETURN(auto columns, ParseColumnsJson(*row[3]));
    out.push_back({*row[0], *row[1], *row[2], std::move(columns)});
  }
  return out;
}

core::Status EnsureSchema(pg::Connection& conn, const std::string& contract,
                          const std::string& projection, const std::vector<TableSpec>& desired) {
  RETURN_IF_ERROR(CheckSchemaName(contract));
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, projection));
  ASSIGN_OR_RETURN(std::vector<TableSpec> existing, ReadRegistry(*tx, contract));
  ASSIGN_OR_RETURN(SchemaPlan plan, PlanSchema(contract, desired, existing));
  for (const std::string& sql : plan.statements) {
    ASSIGN_OR_RETURN(int64_t n, tx->Execute(sql));
    (void)n;
  }
  for (const TableSpec& t : plan.registry) RETURN_IF_ERROR(WriteRegistry(*tx, contract, t));
  RETURN_IF_ERROR(tx->Commit());
  for (const std::string& change : plan.changes) {
    core::Logger("projections.contracts")->info("[{}] {}", projection, change);
  }
  return core::Status::Ok();
}

core::Status DropSchema(pg::Connection& conn, const std::string& contract,
                        const std::string& projection) {
  RETURN_IF_ERROR(CheckSchemaName(contract));
  RETURN_IF_ERROR(pg::Migrate(conn));
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, projection));
  ASSIGN_OR_RETURN(int64_t n, tx->Execute("DROP SCHEMA IF EXISTS " + Quote(contract) +
                                          " CASCADE"));
  (void)n;
  ASSIGN_OR_RETURN(auto rows, tx->Query("DELETE FROM chainflow.contract_tables "
                                        "WHERE contract = $1",
                                        {contract}));
  ASSIGN_OR_RETURN(rows, tx->Query("DELETE FROM chainflow.projection_offsets "
                                   "WHERE projection = $1",
                                   {projection}));
  (void)rows;
  RETURN_IF_ERROR(tx->Commit());
  core::Logger("projections.contracts")
      ->info("[{}] dropped schema {} and its offsets", projection, Quote(contract));
  return core::Status::Ok();
}

}  // namespace chainflow::projections::contracts
