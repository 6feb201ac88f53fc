#pragma once

#include <string>
#include <vector>

#include "engine/core/result.h"
#include "projections/contracts/columns.h"

namespace chainflow::projections::contracts {

// How a contract's schema gets from what the registry records to what the
// ABI and include list now ask for (README.md, "Migrations").
struct SchemaPlan {
  std::vector<std::string> statements;  // DDL, in order; the first creates the schema
  // The registry rows to write (chainflow.contract_tables): every desired
  // table with its columns as they will be, those the ABI no longer names
  // included (they stay in the table, NULL in new rows).
  std::vector<TableSpec> registry;
  std::vector<std::string> changes;  // one line per new table or column, for the log
};

// Plans the DDL that takes `existing` (the registry's tables of `contract`)
// to `desired` (TableSpecsOf the catalog): a new event is CREATE TABLE
// (fixed columns, one per parameter, PRIMARY KEY (chain, block_number,
// log_index), an index on (block_number, log_index, chain)); a new
// parameter is ADD COLUMN; an indexed parameter gets an index (column,
// block_number, log_index, chain). Tables and columns the ABI no longer
// names are kept. A column whose SQL type would change is refused:
// InvalidArgument naming the contract, table and column, both types and
// the way out. Pure.
core::Result<SchemaPlan> PlanSchema(const std::string& contract,
                                    const std::vector<TableSpec>& desired,
                                    const std::vector<TableSpec>& existing);

// The index of an indexed parameter's column (what API filters on it use):
// (column, block_number, log_index, chain), named "<table>_by_<column>" in
// the contract's schema.
struct ParameterIndex {
  std::string name;    // unquoted, as pg_class has it
  std::string create;  // CREATE INDEX IF NOT EXISTS ...
  std::string table;   // its table, quoted and qualified: "schema"."table"
};
ParameterIndex ParameterIndexOf(const std::string& contract, const std::string& table,
                                const std::string& column);
// Every such index of `tables` (TableSpecsOf the catalog), in table order.
std::vector<ParameterIndex> ParameterIndexesOf(const std::string& contract,
                                               const std::vector<TableSpec>& tables);

// The fixed columns' SQL definitions, in engine::abi::FixedColumns() order.
const std::vector<std::string>& FixedColumnDefinitions();

}  // namespace chainflow::projections::contracts
