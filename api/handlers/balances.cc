#include "api/handlers/balances.h"

#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/handlers/params.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

// " AND <chain column> = $n AND <token column> = $m" for the given filters.
std::string Filters(const std::optional<std::string>& chain,
                    const std::optional<std::string>& token, const char* token_column,
                    std::vector<std::string>& params) {
  std::string sql;
  if (chain) {
    params.push_back(*chain);
    sql += fmt::format(" AND chain = ${}", params.size());
  }
  if (token) {
    params.push_back(*token);
    sql += fmt::format(" AND {} = ${}", token_column, params.size());
  }
  return sql;
}

core::Result<json::array> Rows(QueryPool& pool, const std::string& sql,
                               const std::vector<std::string>& params,
                               const std::vector<std::string>& names) {
  ASSIGN_OR_RETURN(QueryResult result, pool.Query(sql, params));
  if (result.rows.size() > static_cast<size_t>(kMaxBalances)) {
    return core::InvalidArgumentError(fmt::format(
        "address: holds more than {} balances; filter by chain or token", kMaxBalances));
  }
  json::array out;
  for (const auto& row : result.rows) {
    json::object item;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!row[i]) return core::InternalError("balance query returned NULL " + names[i]);
      if (names[i] == "block_number") {
        int64_t n = 0;
        auto [ptr, ec] = std::from_chars(row[i]->data(), row[i]->data() + row[i]->size(), n);
        if (ec != std::errc()) return core::InternalError("block_number is not an integer");
        item[names[i]] = n;
      } else {
        item[names[i]] = *row[i];
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

BalanceHandlers::BalanceHandlers(const core::Config& config, QueryPool& pool) : pool_(pool) {
  for (const core::ChainConfig& chain : config.chains) chains_.insert(chain.name);
}

http::Response BalanceHandlers::GetBalances(const http::Request& request) const {
  auto param = [&request](std::string_view name) {
    std::optional<std::string> value = request.QueryParam(name);
    if (value && value->empty()) value.reset();
    return value;
  };
  auto body = ListBalances(request.PathParam("address"), param("chain"), param("token"));
  if (!body) return http::ErrorResponse(body.error());
  return http::JsonResponse(200, body.value());
}

core::Result<json::value> BalanceHandlers::ListBalances(
    const std::string& address_text, const std::optional<std::string>& chain_text,
    const std::optional<std::string>& token_text) const {
  ASSIGN_OR_RETURN(core::Address address, ParseAddress("address", address_text));
  std::optional<std::string> chain, token;
  if (chain_text) {
    ASSIGN_OR_RETURN(chain, ParseChain("chain", *chain_text, chains_));
  }
  if (token_text) {
    ASSIGN_OR_RETURN(core::Address t, ParseAddress("token", *token_text));
    token = t.ToHex();
  }
  const std::string account = address.ToHex();
  const std::string limit = std::to_string(kMaxBalances + 1);

  std::vector<std::string> params{account};
  std::string filters = Filters(chain, token, "token", params);
  params.push_back(limit);
  ASSIGN_OR_RETURN(
      json::array fungible,
      Rows(pool_,
           fmt::format("SELECT chain, token, balance::text, block_number::text"
                       " FROM chainflow.token_balances WHERE account = $1 AND balance > 0{}"
                       " ORDER BY chain, token LIMIT ${}::bigint",
                       filters, params.size()),
           params, {"chain", "token", "balance", "block_number"}));

  params = {account};
  filters = Filters(chain, token, "contract", params);
  params.push_back(limit);
  ASSIGN_OR_RETURN(
      json::array erc1155,
      Rows(pool_,
           fmt::format("SELECT chain, contract, token_id::text, balance::text"
                       " FROM chainflow.nft_balances WHERE owner = $1 AND balance > 0{}"
                       " ORDER BY chain, contract, token_id LIMIT ${}::bigint",
                       filters, params.size()),
           params, {"chain", "contract", "token_id", "balance"}));
  return json::object{{"address", account},
                      {"fungible", std::move(fungible)},
                      {"erc1155", std::move(erc1155)}};
}

}  // namespace chainflow::api::handlers
