#include "api/handlers/event_query.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "api/handlers/params.h"
#include "api/handlers/row_json.h"
#include "engine/core/hex.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;
constexpr size_t kFixedColumns = 8;  // chain .. log_index in BuildEventSql

std::string Quote(std::string_view name) { return fmt::format("\"{}\"", name); }

core::Status FieldError(std::string_view field, std::string_view why) {
  return core::InvalidArgumentError(fmt::format("{}: {}", field, why));
}

// A decimal integer of an intN / uintN filter, normalized (no leading zeros).
core::Result<std::string> ParseIntegerFilter(std::string_view field, std::string_view text,
                                             const EventColumn& column) {
  const bool is_signed = column.abi_type.rfind("int", 0) == 0;
  const bool negative = is_signed && !text.empty() && text[0] == '-';
  auto magnitude = core::U256FromDecimal(negative ? text.substr(1) : text);
  if (!magnitude) {
    return FieldError(field, fmt::format("must be a decimal integer ({})", column.abi_type));
  }
  std::string digits = core::U256ToDecimal(magnitude.value());
  return negative && digits != "0" ? "-" + digits : digits;
}

core::Result<std::string> ParseBytesFilter(std::string_view field, std::string_view text,
                                           const EventColumn& column) {
  auto bytes = core::FromHex(text);
  if (text.substr(0, 2) != "0x" || !bytes) return FieldError(field, "must be 0x hex");
  const std::string& type = column.abi_type;
  size_t want = 0;  // 0: any length
  if (type == "function") {
    want = 24;
  } else if (type.rfind("bytes", 0) == 0 && type.size() > 5 &&
             type.find_first_not_of("0123456789", 5) == std::string::npos) {
    want = static_cast<size_t>(std::stoi(type.substr(5)));  // bytesN
  } else if (column.indexed) {
    want = 32;  // an indexed bytes, string, array or tuple: its topic hash
  }
  if (want != 0 && bytes.value().size() != want) {
    return FieldError(field, fmt::format("must be {} bytes of 0x hex", want));
  }
  return core::ToHex(std::span<const uint8_t>(bytes.value())).substr(2);
}

// The normalized filter value for `column`.
core::Result<std::string> ParseFilter(std::string_view field, std::string_view text,
                                      const EventColumn& column) {
  if (column.sql_type == "numeric(78,0)") return ParseIntegerFilter(field, text, column);
  if (column.sql_type == "boolean") {
    if (text == "true" || text == "false") return std::string(text);
    return FieldError(field, "must be true or false");
  }
  if (column.sql_type == "bytea") return ParseBytesFilter(field, text, column);
  if (column.abi_type == "address") {
    ASSIGN_OR_RETURN(core::Address a, ParseAddress(field, text));
    return a.ToHex();
  }
  return FieldError(field, "this parameter cannot be filtered");
}

const EventColumn* FindColumn(const EventTableInfo& table, std::string_view name) {
  for (const EventColumn& c : table.columns) {
    if (c.parameter == name || c.column == name) return &c;
  }
  return nullptr;
}

core::Status ApplyParam(const std::string& name, const std::string& value,
                        const EventTableInfo& table, const std::set<std::string>& chains,
                        EventQuery& q) {
  if (name == "chain") {
    ASSIGN_OR_RETURN(q.chain, ParseChain("chain", value, chains));
  } else if (name == "from_block") {
    ASSIGN_OR_RETURN(q.from_block, ParseBigint("from_block", value));
  } else if (name == "to_block") {
    ASSIGN_OR_RETURN(q.to_block, ParseBigint("to_block", value));
  } else if (name == "limit") {
    ASSIGN_OR_RETURN(q.limit, ParseLimit("limit", value, kDefaultLimit, kMaxLimit));
  } else if (name == "cursor") {
    q.cursor = value;
  } else if (const EventColumn* column = FindColumn(table, name)) {
    if (!column->indexed) {
      return FieldError(name, fmt::format("parameter `{}` is not indexed; only indexed "
                                          "parameters can be filtered",
                                          column->parameter));
    }
    ASSIGN_OR_RETURN(std::string normalized, ParseFilter(name, value, *column));
    auto same = std::find_if(q.filters.begin(), q.filters.end(),
                             [column](const auto& f) { return f.first == column; });
    if (same != q.filters.end()) same->second = std::move(normalized);
    else q.filters.emplace_back(column, std::move(normalized));
  } else {
    return FieldError(name, fmt::format("unknown parameter of {}", table.signature));
  }
  return core::Status::Ok();
}

std::string ColumnExpr(const EventColumn& c) {
  if (c.sql_type == "bytea") return fmt::format("encode({}, 'hex')", Quote(c.column));
  if (c.sql_type == "text") return Quote(c.column);
  return fmt::format("{}::text", Quote(c.column));
}

core::Result<json::value> ParamToJson(const std::optional<std::string>& text,
                                      const EventColumn& c) {
  if (!text) return json::value(nullptr);
  if (c.sql_type == "bytea") return json::value("0x" + *text);
  if (c.sql_type == "boolean") return json::value(*text == "true");
  if (c.sql_type == "jsonb") {
    boost::system::error_code ec;
    json::value v = json::parse(*text, ec);
    if (ec) return core::InternalError(fmt::format("column {} is not JSON", c.column));
    return v;
  }
  return json::value(*text);
}

}  // namespace

core::Result<std::vector<EventColumn>> ParseEventColumns(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_array()) return core::InternalError("contract_tables.columns is not an array");
  std::vector<EventColumn> out;
  for (const json::value& e : v.get_array()) {
    const json::object* o = e.if_object();
    auto text_of = [o](std::string_view key) -> std::optional<std::string> {
      const json::value* f = o ? o->if_contains(key) : nullptr;
      if (f == nullptr || !f->is_string()) return std::nullopt;
      return std::string(f->get_string());
    };
    const json::value* indexed = o ? o->if_contains("indexed") : nullptr;
    auto column = text_of("column"), parameter = text_of("parameter");
    auto abi_type = text_of("abi_type"), sql_type = text_of("sql_type");
    if (!column || !parameter || !abi_type || !sql_type || !indexed || !indexed->is_bool()) {
      return core::InternalError("contract_tables.columns has a malformed entry");
    }
    out.push_back({*column, *parameter, *abi_type, *sql_type, indexed->get_bool()});
  }
  return out;
}

core::Result<const EventTableInfo*> FindEventTable(const std::vector<EventTableInfo>& tables,
                                                   std::string_view contract,
                                                   std::string_view event) {
  for (const EventTableInfo& t : tables) {
    if (t.table == event) return &t;
  }
  std::vector<std::string> named;
  const EventTableInfo* found = nullptr;
  for (const EventTableInfo& t : tables) {
    if (t.event != event) continue;
    found = &t;
    named.push_back(t.table);
  }
  if (named.size() == 1) return found;
  if (named.size() > 1) {
    return core::NotFoundError(fmt::format("event {} of contract {} is overloaded: use one of "
                                           "the tables {}",
                                           event, contract, fmt::join(named, ", ")));
  }
  return core::NotFoundError(fmt::format("contract {} has no event {}", contract,
                                         QuoteForMessage(event)));
}

core::Result<EventQuery> ParseEventQuery(
    const std::vector<std::pair<std::string, std::string>>& params,
    const EventTableInfo& table, const std::set<std::string>& chains) {
  EventQuery q;
  q.limit = kDefaultLimit;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;  // "?chain=&limit=" means "not given"
    RETURN_IF_ERROR(ApplyParam(name, value, table, chains, q));
  }
  if (q.from_block && q.to_block && *q.from_block > *q.to_block) {
    return FieldError("to_block", "must not be below from_block");
  }
  return q;
}

std::string EventCursorScope(std::string_view contract, const EventTableInfo& table,
                             const EventQuery& q) {
  std::string scope = fmt::format("{}\n{}\n{}\n{}\n{}", contract, table.table,
                                  q.chain.value_or(""), q.from_block.value_or(-1),
                                  q.to_block.value_or(-1));
  for (const auto& [column, value] : q.filters) {
    scope += fmt::format("\n{}={}", column->column, value);
  }
  return scope;
}

EventSql BuildEventSql(std::string_view contract, const EventTableInfo& table,
                       const EventQuery& q, const std::optional<std::vector<std::string>>& after) {
  EventSql out;
  std::string where;
  auto bind = [&out](std::string value) {
    out.params.push_back(std::move(value));
    return fmt::format("${}", out.params.size());
  };
  if (q.chain) where += fmt::format(" AND chain = {}", bind(*q.chain));
  if (q.from_block) {
    where += fmt::format(" AND block_number >= {}::bigint", bind(std::to_string(*q.from_block)));
  }
  if (q.to_block) {
    where += fmt::format(" AND block_number <= {}::bigint", bind(std::to_string(*q.to_block)));
  }
  for (const auto& [column, value] : q.filters) {
    std::string p = bind(value);
    if (column->sql_type == "bytea") {
      where += fmt::format(" AND {} = decode({}, 'hex')", Quote(column->column), p);
    } else if (column->sql_type == "text") {
      where += fmt::format(" AND {} = {}", Quote(column->column), p);
    } else {
      where += fmt::format(" AND {} = {}::{}", Quote(column->column), p, column->sql_type);
    }
  }
  if (after) {
    std::string b = bind((*after)[0]), l = bind((*after)[1]), c = bind((*after)[2]);
    where += fmt::format(" AND (block_number, log_index, chain) > ({}::bigint, {}::int, {})",
                         b, l, c);
  }
  std::vector<std::string> columns{"chain", "contract", "block_number::text", "block_hash",
                                   "block_timestamp::text", "tx_hash", "tx_index::text",
                                   "log_index::text"};
  for (const EventColumn& c : table.columns) columns.push_back(ColumnExpr(c));
  std::string limit = bind(std::to_string(q.limit + 1));
  out.sql = fmt::format(
      "SELECT {} FROM {}.{} WHERE TRUE{} ORDER BY block_number, log_index, chain LIMIT {}::bigint",
      fmt::join(columns, ", "), Quote(contract), Quote(table.table), where, limit);
  return out;
}

core::Result<json::object> EventRowToJson(const std::vector<std::optional<std::string>>& row,
                                          const EventTableInfo& table) {
  static constexpr JsonColumn kFixed[] = {
      {"chain"},        {"contract"},  {"block_number", JsonColumn::kInteger},
      {"block_hash"},   {"block_timestamp", JsonColumn::kInteger},
      {"tx_hash"},      {"tx_index", JsonColumn::kInteger},
      {"log_index", JsonColumn::kInteger}};
  if (row.size() != kFixedColumns + table.columns.size()) {
    return core::InternalError(fmt::format("{} row of {} columns", table.table, row.size()));
  }
  std::vector<std::optional<std::string>> fixed(row.begin(), row.begin() + kFixedColumns);
  ASSIGN_OR_RETURN(json::object item, RowToJson(fixed, kFixed, table.table));
  json::object params;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    ASSIGN_OR_RETURN(json::value v, ParamToJson(row[kFixedColumns + i], table.columns[i]));
    params[table.columns[i].parameter] = std::move(v);
  }
  item["params"] = std::move(params);
  return item;
}

}  // namespace chainflow::api::handlers
