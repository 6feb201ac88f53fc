#include "api/handlers/intent_lookup.h"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/handlers/params.h"
#include "api/handlers/row_json.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

using Kind = JsonColumn::Kind;

// The query's columns, in order; NULL is null (only decided_at, expires_at,
// available).
constexpr JsonColumn kColumns[] = {
    {"intent_id", Kind::kText},        {"kind", Kind::kText},
    {"chain", Kind::kText},            {"token", Kind::kText},
    {"payer", Kind::kText},            {"payee", Kind::kText},
    {"amount", Kind::kText},           {"memo", Kind::kText},
    {"status", Kind::kText},           {"reason", Kind::kText},
    {"submitted_at", Kind::kInteger},  {"decided_at", Kind::kInteger},
    {"expires_at", Kind::kInteger},    {"epoch", Kind::kInteger},
    {"available", Kind::kText}};

constexpr char kQuery[] =
    "SELECT intent_id, kind, chain, token, payer, payee, amount::text, memo, status, reason,"
    " submitted_at::text, decided_at::text, expires_at::text, epoch::text, available::text"
    " FROM chainflow.intents WHERE intent_id = $1";

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
  ASSIGN_OR_RETURN(json::object body, RowToJson(result.rows.front(), kColumns, "intents"));
  return body;
}

}  // namespace chainflow::api::handlers
