#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "api/handlers/query_pool.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// GET /v1/events/{contract}/{event}: the pure parts (no database). The
// tables are those the contract-events projection writes, described by its
// registry chainflow.contract_tables (projections/contracts/README.md); the
// API reads only that registry and the tables, never the ABI.

// One parameter column of an event table, as the registry records it.
struct EventColumn {
  std::string column;     // snake_case column name
  std::string parameter;  // the ABI parameter name (the JSON key of `params`)
  std::string abi_type;   // canonical ABI type ("uint256", "address", "bytes32", ...)
  std::string sql_type;   // numeric(78,0) | text | boolean | bytea | jsonb
  bool indexed = false;
};

struct EventTableInfo {
  std::string table;
  std::string event;  // ABI name
  std::string signature;
  std::vector<EventColumn> columns;
};

// The registry's `columns` JSON array. Internal when malformed (the
// projection wrote it).
core::Result<std::vector<EventColumn>> ParseEventColumns(std::string_view json);

// The table {event} names: its table name, else the ABI event name when
// exactly one table has it. NotFound naming the contract and event
// otherwise (also for an overloaded name: the message lists the tables).
core::Result<const EventTableInfo*> FindEventTable(const std::vector<EventTableInfo>& tables,
                                                   std::string_view contract,
                                                   std::string_view event);

// The validated query string. Every error is InvalidArgument beginning with
// the offending field ("from_block: ...", "buyer: unknown parameter").
struct EventQuery {
  std::optional<std::string> chain;
  std::optional<int64_t> from_block;
  std::optional<int64_t> to_block;
  int limit = 100;
  std::optional<std::string> cursor;
  // Filters on indexed parameters: the column and its normalized value
  // (lowercase 0x hex for addresses and bytes, decimal for integers,
  // "true"/"false").
  std::vector<std::pair<const EventColumn*, std::string>> filters;
};

// `params` in request order (empty values count as absent). Known: chain (a
// configured chain), from_block / to_block (0..2^63-1), limit (1..1000,
// default 100), cursor, and each indexed parameter by ABI name or column
// name. Refused: anything else, filters on non-indexed parameters, values
// that are not of the parameter's type. `table` must outlive the result.
core::Result<EventQuery> ParseEventQuery(
    const std::vector<std::pair<std::string, std::string>>& params,
    const EventTableInfo& table, const std::set<std::string>& chains);

// The cursor's scope: the contract, table and every filter, so a cursor
// replayed against another query is refused.
std::string EventCursorScope(std::string_view contract, const EventTableInfo& table,
                             const EventQuery& query);

// One page's keyset query: rows of "<contract>"."<table>" after `after`
// (block_number, log_index, chain) in (block_number, log_index, chain)
// order, limit + 1 of them. Columns: the fixed ones, then one per
// parameter as text (bytea as hex without 0x).
struct EventSql {
  std::string sql;
  std::vector<std::string> params;
};
EventSql BuildEventSql(std::string_view contract, const EventTableInfo& table,
                       const EventQuery& query,
                       const std::optional<std::vector<std::string>>& after);

// A row of BuildEventSql as the JSON item: chain, contract, block_number,
// block_hash (null when none), block_timestamp, tx_hash, tx_index,
// log_index, and `params` by ABI name (integers as decimal strings, bytes as
// 0x hex, booleans, jsonb as JSON, NULL as null).
core::Result<boost::json::object> EventRowToJson(
    const std::vector<std::optional<std::string>>& row, const EventTableInfo& table);

}  // namespace chainflow::api::handlers
