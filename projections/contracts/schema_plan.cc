#include "projections/contracts/schema_plan.h"

#include <algorithm>

#include <fmt/format.h>

namespace chainflow::projections::contracts {
namespace {

std::string Qualified(const std::string& contract, const std::string& table) {
  return Quote(contract) + "." + Quote(table);
}

std::string IndexSql(const std::string& contract, const std::string& table,
                     const std::string& column) {
  return ParameterIndexOf(contract, table, column).create;
}

// A parameter's column as CREATE TABLE / ADD COLUMN name it. Addresses are
// lowercase hex: byte order ("C") sorts them as a locale would and compares
// them without strcoll, whatever the database's default collation.
std::string ColumnDefinition(const ColumnSpec& c) {
  return Quote(c.name) + " " + c.sql_type + (c.abi_type == "address" ? " COLLATE \"C\"" : "");
}

void PlanNewTable(const std::string& contract, const TableSpec& t, SchemaPlan& plan) {
  std::vector<std::string> defs = FixedColumnDefinitions();
  for (const ColumnSpec& c : t.columns) defs.push_back(ColumnDefinition(c));
  // The key in the API's order (block_number, log_index, chain): it serves
  // the keyset pages without a second index on the position, and B-tree
  // comparisons start on fixed-width columns that differ, not on a chain name
  // every row shares (a [[contracts]] entry has one chain). Tables created
  // before keep their (chain, block_number, log_index) key and a
  // <table>_by_position index; upserts and deletes name the same columns.
  plan.statements.push_back(fmt::format(
      "CREATE TABLE {} ({}, PRIMARY KEY (block_number, log_index, chain))",
      Qualified(contract, t.table), fmt::join(defs, ", ")));
  for (const ColumnSpec& c : t.columns) {
    if (c.indexed) plan.statements.push_back(IndexSql(contract, t.table, c.name));
  }
  plan.changes.push_back(fmt::format("new table {} ({})", Qualified(contract, t.table),
                                     t.signature));
  plan.registry.push_back(t);
}

core::Status PlanExistingTable(const std::string& contract, const TableSpec& want,
                               const TableSpec& have, SchemaPlan& plan) {
  TableSpec merged{want.table, want.event, want.signature, have.columns};
  for (const ColumnSpec& c : want.columns) {
    auto it = std::find_if(merged.columns.begin(), merged.columns.end(),
                           [&c](const ColumnSpec& m) { return m.name == c.name; });
    if (it == merged.columns.end()) {
      plan.statements.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {}",
                                            Qualified(contract, want.table),
                                            ColumnDefinition(c)));
      if (c.indexed) plan.statements.push_back(IndexSql(contract, want.table, c.name));
      plan.changes.push_back(fmt::format("new column {}.{} {} ({})",
                                         Qualified(contract, want.table), Quote(c.name),
                                         c.sql_type, c.abi_type));
      merged.columns.push_back(c);
      continue;
    }
    if (it->sql_type != c.sql_type) {
      return core::InvalidArgumentError(fmt::format(
          "contract \"{}\", table \"{}\", column \"{}\": the table has it as {} ({}), the ABI "
          "now makes it {} ({} in {}); a column cannot change type: rename the event or "
          "parameter, or drop the view with `chainflow rebuild --view contract.{}`",
          contract, want.table, c.name, it->sql_type, it->abi_type, c.sql_type, c.abi_type,
          want.signature, contract));
    }
    if (c.indexed && !it->indexed) {
      plan.statements.push_back(IndexSql(contract, want.table, c.name));
    }
    *it = c;
  }
  plan.registry.push_back(std::move(merged));
  return core::Status::Ok();
}

}  // namespace

ParameterIndex ParameterIndexOf(const std::string& contract, const std::string& table,
                                const std::string& column) {
  ParameterIndex index;
  index.name = table + "_by_" + column;
  index.create =
      fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({}, block_number, log_index, chain)",
                  Quote(index.name), Qualified(contract, table), Quote(column));
  index.table = Qualified(contract, table);
  return index;
}

std::vector<ParameterIndex> ParameterIndexesOf(const std::string& contract,
                                               const std::vector<TableSpec>& tables) {
  std::vector<ParameterIndex> indexes;
  for (const TableSpec& t : tables) {
    for (const ColumnSpec& c : t.columns) {
      if (c.indexed) indexes.push_back(ParameterIndexOf(contract, t.table, c.name));
    }
  }
  return indexes;
}

const std::vector<std::string>& FixedColumnDefinitions() {
  // The hex columns compare bytewise (see ColumnDefinition).
  static const std::vector<std::string> kDefinitions = {
      "chain text NOT NULL",
      "contract text COLLATE \"C\" NOT NULL",
      "block_number bigint NOT NULL",
      "block_hash text COLLATE \"C\"",
      "block_timestamp bigint NOT NULL",
      "tx_hash text COLLATE \"C\" NOT NULL",
      "tx_index integer NOT NULL",
      "log_index integer NOT NULL"};
  return kDefinitions;
}

core::Result<SchemaPlan> PlanSchema(const std::string& contract,
                                    const std::vector<TableSpec>& desired,
                                    const std::vector<TableSpec>& existing) {
  SchemaPlan plan;
  plan.statements.push_back("CREATE SCHEMA IF NOT EXISTS " + Quote(contract));
  for (const TableSpec& want : desired) {
    auto have = std::find_if(existing.begin(), existing.end(),
                             [&want](const TableSpec& t) { return t.table == want.table; });
    if (have == existing.end()) {
      PlanNewTable(contract, want, plan);
    } else {
      RETURN_IF_ERROR(PlanExistingTable(contract, want, *have, plan));
    }
  }
  return plan;
}

}  // namespace chainflow::projections::contracts
