#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/handlers/query_pool.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// How a column of a QueryResult row (all text) goes into JSON.
struct JsonColumn {
  enum Kind { kText, kInteger };
  std::string_view name;  // the JSON member
  Kind kind = kText;      // kInteger: a BIGINT column, rendered as a JSON number
};

// `row` (one QueryResult row, in `columns` order) as a JSON object: text
// columns as strings (uint256 NUMERICs stay decimal strings), integers as
// numbers, SQL NULL as null. Internal naming `what` when the row does not
// match `columns` (a bug in the query).
core::Result<boost::json::object> RowToJson(const std::vector<std::optional<std::string>>& row,
                                            std::span<const JsonColumn> columns,
                                            std::string_view what);

// One keyset page of a listing query run with LIMIT limit + 1: its first
// `limit` rows as JSON objects (RowToJson), and the last of them when there
// is a next page (the key the next page continues after), else null.
struct JsonPage {
  boost::json::array items;
  const std::vector<std::optional<std::string>>* continue_after = nullptr;  // into the result
};
core::Result<JsonPage> PageToJson(const QueryResult& result, int limit,
                                  std::span<const JsonColumn> columns, std::string_view what);

// A decimal BIGINT query parameter of a path or query field: 0 to 2^63-1;
// InvalidArgument naming `field` otherwise.
core::Result<int64_t> ParseBigint(std::string_view field, std::string_view text);

// "true" or "false"; `default_value` when absent; InvalidArgument naming
// `field` otherwise.
core::Result<bool> ParseBool(std::string_view field, const std::optional<std::string>& text,
                             bool default_value);

}  // namespace chainflow::api::handlers
