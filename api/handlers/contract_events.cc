#include "api/handlers/contract_events.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/handlers/cursor.h"
#include "api/handlers/params.h"
#include "api/handlers/row_json.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

// [[contracts]] names are [a-z][a-z0-9_]*, at most 40 characters.
bool IsContractName(std::string_view name) {
  if (name.empty() || name.size() > 40 || name[0] < 'a' || name[0] > 'z') return false;
  return name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

}  // namespace

ContractEventHandlers::ContractEventHandlers(const core::Config& config, QueryPool& pool)
    : pool_(pool) {
  for (const core::ChainConfig& chain : config.chains) chains_.insert(chain.name);
}

http::Response ContractEventHandlers::ListEvents(const http::Request& request) const {
  core::Result<json::value> body =
      List(request.PathParam("contract"), request.PathParam("event"), request.query_params);
  if (!body) return http::ErrorResponse(body.error());
  return http::JsonResponse(200, body.value());
}

core::Result<std::vector<EventTableInfo>> ContractEventHandlers::Tables(
    const std::string& contract) const {
  ASSIGN_OR_RETURN(QueryResult result,
                   pool_.Query("SELECT event_table, event, signature, columns::text"
                               " FROM chainflow.contract_tables WHERE contract = $1"
                               " ORDER BY event_table",
                               {contract}));
  std::vector<EventTableInfo> tables;
  for (const auto& row : result.rows) {
    if (!row[0] || !row[1] || !row[2] || !row[3]) {
      return core::InternalError("contract_tables returned a NULL");
    }
    ASSIGN_OR_RETURN(auto columns, ParseEventColumns(*row[3]));
    tables.push_back({*row[0], *row[1], *row[2], std::move(columns)});
  }
  return tables;
}

core::Result<json::value> ContractEventHandlers::List(
    const std::string& contract, const std::string& event,
    const std::vector<std::pair<std::string, std::string>>& query) const {
  if (!IsContractName(contract)) {
    return core::NotFoundError(
        fmt::format("no contract {} is indexed by ABI", QuoteForMessage(contract)));
  }
  ASSIGN_OR_RETURN(std::vector<EventTableInfo> tables, Tables(contract));
  if (tables.empty()) {
    return core::NotFoundError(fmt::format("no contract {} is indexed by ABI", contract));
  }
  ASSIGN_OR_RETURN(const EventTableInfo* table, FindEventTable(tables, contract, event));
  ASSIGN_OR_RETURN(EventQuery q, ParseEventQuery(query, *table, chains_));
  const std::string scope = EventCursorScope(contract, *table, q);
  std::optional<std::vector<std::string>> after;
  if (q.cursor) {
    ASSIGN_OR_RETURN(after, DecodeKeyCursor(*q.cursor, scope, 3));
    // A forged cursor can only name another start key: check it is one.
    if (!ParseBigint("cursor", (*after)[0]) || !ParseBigint("cursor", (*after)[1])) {
      return core::InvalidArgumentError("cursor: malformed");
    }
  }
  EventSql sql = BuildEventSql(contract, *table, q, after);
  ASSIGN_OR_RETURN(QueryResult result, pool_.Query(sql.sql, sql.params));
  json::array items;
  const size_t shown = std::min(result.rows.size(), static_cast<size_t>(q.limit));
  for (size_t i = 0; i < shown; ++i) {
    ASSIGN_OR_RETURN(json::object item, EventRowToJson(result.rows[i], *table));
    items.push_back(std::move(item));
  }
  json::value next_cursor = nullptr;
  if (result.rows.size() > shown && shown > 0) {
    const auto& last = result.rows[shown - 1];  // chain [0], block [2], log index [7]
    next_cursor = EncodeKeyCursor({last[2].value_or(""), last[7].value_or(""),
                                   last[0].value_or("")},
                                  scope);
  }
  return json::object{{"contract", contract},
                      {"event", table->event},
                      {"table", table->table},
                      {"signature", table->signature},
                      {"items", std::move(items)},
                      {"next_cursor", std::move(next_cursor)}};
}

}  // namespace chainflow::api::handlers
