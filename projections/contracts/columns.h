#pragma once

#include <string>
#include <vector>

#include "engine/abi/catalog.h"
#include "engine/abi/event.h"
#include "engine/abi/value.h"
#include "engine/core/result.h"

namespace chainflow::projections::contracts {

// One parameter column of an event table (README.md, "Tables").
struct ColumnSpec {
  std::string name;       // EventTable::columns entry: snake_case, unquoted
  std::string parameter;  // the ABI parameter's name (JSON key, API filter)
  std::string abi_type;   // canonical ABI type, e.g. "uint256", "(address,string)[]"
  std::string sql_type;   // SqlType()
  bool indexed = false;

  friend bool operator==(const ColumnSpec&, const ColumnSpec&) = default;
};

// One event's table in the contract's schema: what the registry
// (chainflow.contract_tables) records and the projection writes.
struct TableSpec {
  std::string table;      // EventTable::table
  std::string event;      // the ABI event name
  std::string signature;  // canonical signature
  std::vector<ColumnSpec> columns;  // the parameters, in ABI order

  friend bool operator==(const TableSpec&, const TableSpec&) = default;
};

// The PostgreSQL type of a parameter's column: uintN/intN "numeric(78,0)",
// address and string "text", bool "boolean", bytes/bytesN/function and the
// topic hash of an indexed string/bytes/array/tuple "bytea", arrays and
// tuples "jsonb". Pure.
std::string SqlType(const engine::abi::EventParam& param);

// The tables of a catalog contract, per decoder.events() entry. Pure.
std::vector<TableSpec> TableSpecsOf(const engine::abi::CatalogContract& contract);

// "\"<name>\"": a quoted SQL identifier (names here are [a-z0-9_]).
std::string Quote(const std::string& name);

// A parameter's value as the COPY text field its column receives
// (pg::Transaction::Copy escapes it): decimal for numeric, lowercase 0x hex
// for addresses, "t"/"f", "\x<hex>" for bytea, the JSON rendering for jsonb.
// Strings follow the text rule (text_rule.h); `*adjusted` is set when it
// changed the value. InvalidArgument when the value's kind does not fit
// the column (a record that disagrees with the ABI).
core::Result<std::string> ColumnText(const engine::abi::Value& value, const ColumnSpec& column,
                                     bool* adjusted);

}  // namespace chainflow::projections::contracts
