#include "api/handlers/epochs.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/handlers/cursor.h"
#include "api/handlers/nfts.h"
#include "api/handlers/params.h"
#include "api/handlers/row_json.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;
using Kind = JsonColumn::Kind;

constexpr JsonColumn kEpochColumns[] = {
    {"epoch", Kind::kInteger},   {"start", Kind::kInteger},    {"end", Kind::kInteger},
    {"settled", Kind::kInteger}, {"rejected", Kind::kInteger}, {"digest", Kind::kText}};
constexpr char kEpochQuery[] =
    "SELECT epoch::text, start_at::text, end_at::text, settled::text, rejected::text, digest"
    " FROM chainflow.epochs WHERE epoch = $1::bigint";

constexpr JsonColumn kTotalColumns[] = {{"chain", Kind::kText},
                                        {"token", Kind::kText},
                                        {"amount", Kind::kText},
                                        {"intents", Kind::kInteger}};
constexpr char kTotalsQuery[] =
    "SELECT chain, token, amount::text, intents::text FROM chainflow.epoch_totals"
    " WHERE epoch = $1::bigint ORDER BY chain, token";

constexpr JsonColumn kAccountColumns[] = {
    {"chain", Kind::kText},    {"token", Kind::kText},   {"account", Kind::kText},
    {"debited", Kind::kText},  {"credited", Kind::kText}, {"paid", Kind::kInteger},
    {"received", Kind::kInteger}};

// One page of an epoch's settlements through the primary key (epoch, chain,
// token, account); `after` adds the keyset condition on $2..$4.
std::string AccountsSql(bool after, size_t limit_param) {
  return fmt::format(
      "SELECT chain, token, account, debited::text, credited::text, paid::text, received::text"
      " FROM chainflow.settlements WHERE epoch = $1::bigint{}"
      " ORDER BY chain, token, account LIMIT ${}::bigint",
      after ? " AND (chain, token, account) > ($2, $3, $4)" : "", limit_param);
}

std::string CursorScope(int64_t epoch) { return fmt::format("epoch/{}", epoch); }

// The cursor's key (chain, token, account), each field checked.
core::Result<std::vector<std::string>> DecodeAccountsCursor(const std::string& cursor,
                                                            int64_t epoch) {
  ASSIGN_OR_RETURN(std::vector<std::string> key,
                   DecodeKeyCursor(cursor, CursorScope(epoch), 3));
  auto token = core::Address::FromHex(key[1]);
  auto account = core::Address::FromHex(key[2]);
  if (key[0].empty() || !token || !account) {
    return core::InvalidArgumentError("cursor: malformed cursor");
  }
  return std::vector<std::string>{key[0], token.value().ToHex(), account.value().ToHex()};
}

}  // namespace

EpochHandlers::EpochHandlers(QueryPool& pool) : pool_(pool) {}

http::Response EpochHandlers::GetEpoch(const http::Request& request) const {
  auto param = [&request](std::string_view name) {
    std::optional<std::string> value = request.QueryParam(name);
    if (value && value->empty()) value.reset();
    return value;
  };
  auto body = LookupEpoch(request.PathParam("n"), param("accounts"), param("limit"),
                          param("cursor"));
  if (!body) return http::ErrorResponse(body.error());
  return http::JsonResponse(200, body.value());
}

core::Result<json::value> EpochHandlers::LookupEpoch(
    const std::string& n_text, const std::optional<std::string>& accounts_text,
    const std::optional<std::string>& limit_text,
    const std::optional<std::string>& cursor) const {
  ASSIGN_OR_RETURN(int64_t epoch, ParseBigint("n", n_text));
  ASSIGN_OR_RETURN(bool accounts, ParseBool("accounts", accounts_text, false));
  ASSIGN_OR_RETURN(int limit, ParseLimit("limit", limit_text, kDefaultPageLimit, kMaxPageLimit));
  std::optional<std::vector<std::string>> after;  // validated before any query
  if (cursor) {
    ASSIGN_OR_RETURN(after, DecodeAccountsCursor(*cursor, epoch));
  }
  const std::string epoch_text = std::to_string(epoch);
  ASSIGN_OR_RETURN(QueryResult found, pool_.Query(kEpochQuery, {epoch_text}));
  if (found.rows.empty()) return core::NotFoundError(fmt::format("epoch {} is not settled", epoch));
  ASSIGN_OR_RETURN(json::object body, RowToJson(found.rows.front(), kEpochColumns, "epochs"));
  ASSIGN_OR_RETURN(QueryResult totals, pool_.Query(kTotalsQuery, {epoch_text}));
  json::array items;
  for (const auto& row : totals.rows) {
    ASSIGN_OR_RETURN(json::object item, RowToJson(row, kTotalColumns, "epoch_totals"));
    items.push_back(std::move(item));
  }
  body["totals"] = std::move(items);
  if (!accounts) return body;
  RETURN_IF_ERROR(AccountsPage(epoch, limit, after, body));
  return body;
}

core::Status EpochHandlers::AccountsPage(int64_t epoch, int limit,
                                         const std::optional<std::vector<std::string>>& after,
                                         json::object& body) const {
  std::vector<std::string> params{std::to_string(epoch)};
  if (after) params.insert(params.end(), after->begin(), after->end());
  params.push_back(std::to_string(limit + 1));  // one more: is there a next page?
  ASSIGN_OR_RETURN(QueryResult result,
                   pool_.Query(AccountsSql(after.has_value(), params.size()), params));
  ASSIGN_OR_RETURN(JsonPage page, PageToJson(result, limit, kAccountColumns, "settlements"));
  json::value next_cursor = nullptr;
  if (const auto* last = page.continue_after) {
    if (!(*last)[0] || !(*last)[1] || !(*last)[2]) {
      return core::InternalError("settlements: NULL key");
    }
    next_cursor = EncodeKeyCursor({*(*last)[0], *(*last)[1], *(*last)[2]}, CursorScope(epoch));
  }
  body["accounts"] = std::move(page.items);
  body["next_cursor"] = std::move(next_cursor);
  return core::Status::Ok();
}

}  // namespace chainflow::api::handlers
