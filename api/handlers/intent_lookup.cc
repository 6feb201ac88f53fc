#include "api/handlers/intent_lookup.h"

#include <charconv>
#include <iterator>

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/handlers/params.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

// The query's columns, in order: text ones are copied, `kIntegers` become
// JSON numbers; NULL is null (only decided_at, expires_at, available).
constexpr const char* kColumns[] = {"intent_id", "kind",   "chain",        "token",
                                    "payer",     "payee",  "amount",       "memo",
                                    "status",    "reason", "submitted_at", "decided_at",
                                    "expires_at", "epoch", "available"};
constexpr std::string_view kIntegers[] = {"submitted_at", "decided_at", "expires_at", "epoch"};

constexpr char kQuery[] =
    "SELECT intent_id, kind, chain, token, payer, payee, amount::text, memo, status, reason,"
    " submitted_at::text, decided_at::text, expires_at::text, epoch::text, available::text"
    " FROM chainflow.intents WHERE intent_id = $1";

core::Result<json::value> Integer(const std::string& text, std::string_view column) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return core::InternalError(fmt::format("intents.{} is not an integer", column));
  }
  return json::value(value);
}

bool IsInteger(std::string_view column) {
  for (std::string_view c : kIntegers) {
    if (c == column) return true;
  }
  return false;
}

}  // namespace

core::Result<std::string> ParseIntentId(std::string_view field, std::string_view text) {
  std::string id;
  bool ok = text.size() == 32;
  for (char c : text) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    id += c;
  }
  if (!ok) {
    return core::InvalidArgumentError(fmt::format(
        "{}: {} is not an intent id (32 hex digits)", field, QuoteForMessage(text)));
  }
  return id;
}

IntentLookupHandlers::IntentLookupHandlers(QueryPool& pool) : pool_(pool) {}

http::Response IntentLookupHandlers::GetIntent(const http::Request& request) const {
  auto body = LookupIntent(request.PathParam("id"));
  if (!body) return http::ErrorResponse(body.error());
  return http::JsonResponse(200, body.value());
}

core::Result<json::value> IntentLookupHandlers::LookupIntent(const std::string& id_text) const {
  ASSIGN_OR_RETURN(std::string id, ParseIntentId("id", id_text));
  ASSIGN_OR_RETURN(QueryResult result, pool_.Query(kQuery, {id}));
  if (result.rows.empty()) return core::NotFoundError(fmt::format("no intent {}", id));
  const auto& row = result.rows.front();
  if (row.size() != std::size(kColumns)) {
    return core::InternalError("intent query returned the wrong number of columns");
  }
  json::object body;
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    const std::string_view column = kColumns[i];
    if (!row[i]) {
      body[column] = nullptr;
    } else if (IsInteger(column)) {
      ASSIGN_OR_RETURN(body[column], Integer(*row[i], column));
    } else {
      body[column] = *row[i];
    }
  }
  return body;
}

}  // namespace chainflow::api::handlers
