#include "api/handlers/accruals.h"

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

constexpr JsonColumn kColumns[] = {
    {"day", Kind::kInteger},     {"end", Kind::kInteger},     {"chain", Kind::kText},
    {"token", Kind::kText},      {"balance", Kind::kText},    {"rate_bps", Kind::kInteger},
    {"accrued", Kind::kText},    {"carry", Kind::kInteger},   {"total_accrued", Kind::kText}};

// One page, newest day first: the keyset condition continues after (day,
// chain, token) = ($d, $c, $t) in that order (day descending).
std::string ListingSql(const std::string& filters, const std::string& after,
                       size_t limit_param) {
  return fmt::format(
      "SELECT day::text, end_at::text, chain, token, balance::text, rate_bps::text,"
      " accrued::text, carry::text, total_accrued::text FROM chainflow.accruals"
      " WHERE account = $1{}{} ORDER BY day DESC, chain, token LIMIT ${}::bigint",
      filters, after, limit_param);
}

std::string CursorScope(const std::string& account, const std::optional<std::string>& chain,
                        const std::optional<std::string>& token) {
  return fmt::format("accruals\n{}\n{}\n{}", account, chain.value_or(""), token.value_or(""));
}

// The cursor's key (day, chain, token), each field checked.
core::Result<std::vector<std::string>> DecodeAccrualsCursor(const std::string& cursor,
                                                            const std::string& scope) {
  ASSIGN_OR_RETURN(std::vector<std::string> key, DecodeKeyCursor(cursor, scope, 3));
  auto token = core::Address::FromHex(key[2]);
  if (!ParseBigint("cursor", key[0]) || key[1].empty() || !token) {
    return core::InvalidArgumentError("cursor: malformed cursor");
  }
  return std::vector<std::string>{key[0], key[1], token.value().ToHex()};
}

}  // namespace

AccrualHandlers::AccrualHandlers(const core::Config& config, QueryPool& pool) : pool_(pool) {
  for (const core::ChainConfig& chain : config.chains) chains_.insert(chain.name);
}

http::Response AccrualHandlers::ListAccruals(const http::Request& request) const {
  auto param = [&request](std::string_view name) {
    std::optional<std::string> value = request.QueryParam(name);
    if (value && value->empty()) value.reset();
    return value;
  };
  auto body = List(request.PathParam("address"), param("chain"), param("token"), param("limit"),
                   param("cursor"));
  if (!body) return http::ErrorResponse(body.error());
  return http::JsonResponse(200, body.value());
}

core::Result<json::value> AccrualHandlers::List(const std::string& address_text,
                                                const std::optional<std::string>& chain_text,
                                                const std::optional<std::string>& token_text,
                                                const std::optional<std::string>& limit_text,
                                                const std::optional<std::string>& cursor) const {
  ASSIGN_OR_RETURN(core::Address address, ParseAddress("address", address_text));
  const std::string account = address.ToHex();
  std::vector<std::string> params{account};
  std::string filters;
  std::optional<std::string> chain;
  std::optional<std::string> token;
  if (chain_text) {
    ASSIGN_OR_RETURN(chain, ParseChain("chain", *chain_text, chains_));
    params.push_back(*chain);
    filters += fmt::format(" AND chain = ${}", params.size());
  }
  if (token_text) {
    ASSIGN_OR_RETURN(core::Address t, ParseAddress("token", *token_text));
    token = t.ToHex();
    params.push_back(*token);
    filters += fmt::format(" AND token = ${}", params.size());
  }
  ASSIGN_OR_RETURN(int limit, ParseLimit("limit", limit_text, kDefaultPageLimit, kMaxPageLimit));
  const std::string scope = CursorScope(account, chain, token);
  std::string after;
  if (cursor) {
    ASSIGN_OR_RETURN(std::vector<std::string> key, DecodeAccrualsCursor(*cursor, scope));
    params.insert(params.end(), key.begin(), key.end());
    const size_t d = params.size() - 2;
    after = fmt::format(
        " AND (day < ${0}::bigint OR (day = ${0}::bigint AND (chain, token) > (${1}, ${2})))", d,
        d + 1, d + 2);
  }
  params.push_back(std::to_string(limit + 1));  // one more: is there a next page?
  ASSIGN_OR_RETURN(QueryResult result,
                   pool_.Query(ListingSql(filters, after, params.size()), params));
  ASSIGN_OR_RETURN(JsonPage page, PageToJson(result, limit, kColumns, "accruals"));
  json::value next_cursor = nullptr;
  if (const auto* last = page.continue_after) {
    if (!(*last)[0] || !(*last)[2] || !(*last)[3]) return core::InternalError("accruals: NULL key");
    next_cursor = EncodeKeyCursor({*(*last)[0], *(*last)[2], *(*last)[3]}, scope);
  }
  return json::object{{"address", account},
                      {"items", std::move(page.items)},
                      {"next_cursor", std::move(next_cursor)}};
}

}  // namespace chainflow::api::handlers
