#include "api/handlers/row_json.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "api/handlers/params.h"

namespace chainflow::api::handlers {

namespace json = boost::json;

core::Result<json::object> RowToJson(const std::vector<std::optional<std::string>>& row,
                                     std::span<const JsonColumn> columns, std::string_view what) {
  if (row.size() != columns.size()) {
    return core::InternalError(fmt::format("{} query returned {} columns, want {}", what,
                                           row.size(), columns.size()));
  }
  json::object out;
  for (size_t i = 0; i < columns.size(); ++i) {
    const JsonColumn& c = columns[i];
    if (!row[i]) {
      out[c.name] = nullptr;
    } else if (c.kind == JsonColumn::kInteger) {
      const std::string& text = *row[i];
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        return core::InternalError(fmt::format("{}.{} is not an integer", what, c.name));
      }
      out[c.name] = value;
    } else {
      out[c.name] = *row[i];
    }
  }
  return out;
}

core::Result<JsonPage> PageToJson(const QueryResult& result, int limit,
                                  std::span<const JsonColumn> columns, std::string_view what) {
  JsonPage page;
  const size_t shown = std::min(result.rows.size(), static_cast<size_t>(std::max(limit, 0)));
  for (size_t i = 0; i < shown; ++i) {
    ASSIGN_OR_RETURN(json::object item, RowToJson(result.rows[i], columns, what));
    page.items.push_back(std::move(item));
  }
  if (result.rows.size() > shown && shown > 0) page.continue_after = &result.rows[shown - 1];
  return page;
}

core::Result<int64_t> ParseBigint(std::string_view field, std::string_view text) {
  int64_t value = 0;
  bool digits = !text.empty() && text.size() <= 19;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && ptr == text.data() + text.size()) return value;
  }
  return core::InvalidArgumentError(fmt::format(
      "{}: {} is not a whole number from 0 to 2^63-1", field, QuoteForMessage(text)));
}

core::Result<bool> ParseBool(std::string_view field, const std::optional<std::string>& text,
                             bool default_value) {
  if (!text) return default_value;
  if (*text == "true") return true;
  if (*text == "false") return false;
  return core::InvalidArgumentError(
      fmt::format("{}: {} is not true or false", field, QuoteForMessage(*text)));
}

}  // namespace chainflow::api::handlers
