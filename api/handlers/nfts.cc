#include "api/handlers/nfts.h"

#include <charconv>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/handlers/params.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

http::Response Respond(const core::Result<json::value>& result) {
  if (!result) return http::ErrorResponse(result.error());
  return http::JsonResponse(200, result.value());
}

core::Result<int64_t> ParseInt(const std::optional<std::string>& text, std::string_view column) {
  int64_t value = 0;
  if (text) {
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec == std::errc() && ptr == text->data() + text->size()) return value;
  }
  return core::InternalError(fmt::format("nft_owners.{} is not an integer", column));
}

json::value TextOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return json::value(*text);
}

// Binds the owner and the filters of a listing query: the scope of its cursors.
std::string CursorScope(const std::string& owner, const std::optional<std::string>& chain,
                        const std::optional<std::string>& contract) {
  return fmt::format("{}\n{}\n{}", owner, chain.value_or(""), contract.value_or(""));
}

// The keyset query of one page. Each branch reads its table through the
// owner index in (chain, contract, token_id) order and stops after `limit`
// rows; the outer query merges them. 'erc1155' sorts before 'erc721', so
// after an erc1155 key the erc721 row with the same (chain, contract,
// token_id), if any, still follows (>=); everything else needs a greater key.
std::string ListingSql(const std::string& filters, const std::string& after_erc721,
                       const std::string& after_erc1155, size_t limit_param) {
  return fmt::format(
      "SELECT page.chain, page.contract, page.token_id::text AS token_id_text, page.balance,"
      " page.standard FROM ("
      "(SELECT chain, contract, token_id, NULL::text AS balance, 'erc721'::text AS standard"
      " FROM chainflow.nft_owners WHERE owner = $1{0}{1}"
      " ORDER BY chain, contract, token_id LIMIT ${3}::bigint)"
      " UNION ALL "
      "(SELECT chain, contract, token_id, balance::text, 'erc1155'::text"
      " FROM chainflow.nft_balances WHERE owner = $1 AND balance > 0{0}{2}"
      " ORDER BY chain, contract, token_id LIMIT ${3}::bigint)"
      ") AS page ORDER BY page.chain, page.contract, page.token_id,"
      " page.standard COLLATE \"C\" LIMIT ${3}::bigint",
      filters, after_erc721, after_erc1155, limit_param);
}

}  // namespace

NftHandlers::NftHandlers(const core::Config& config, QueryPool& pool) : pool_(pool) {
  for (const core::ChainConfig& chain : config.chains) chains_.insert(chain.name);
}

http::Response NftHandlers::GetNft(const http::Request& request) const {
  return Respond(LookupNft(request.PathParam("chain"), request.PathParam("contract"),
                           request.PathParam("token_id")));
}

http::Response NftHandlers::ListOwnerNfts(const http::Request& request) const {
  // "?chain=&limit=" means "not given": clients often fill a URL template.
  auto param = [&request](std::string_view name) {
    std::optional<std::string> value = request.QueryParam(name);
    if (value && value->empty()) value.reset();
    return value;
  };
  return Respond(ListNfts(request.PathParam("address"), param("chain"), param("contract"),
                          param("limit"), param("cursor")));
}

core::Result<json::value> NftHandlers::LookupNft(const std::string& chain_text,
                                                 const std::string& contract_text,
                                                 const std::string& token_id_text) const {
  ASSIGN_OR_RETURN(std::string chain, ParseChain("chain", chain_text, chains_));
  ASSIGN_OR_RETURN(core::Address contract, ParseAddress("contract", contract_text));
  ASSIGN_OR_RETURN(core::U256 token_id, ParseTokenId("token_id", token_id_text));
  std::string contract_hex = contract.ToHex();
  std::string token_decimal = core::U256ToDecimal(token_id);
  ASSIGN_OR_RETURN(
      QueryResult result,
      pool_.Query("SELECT owner, block_number::text, log_index::text, tx_hash"
                  " FROM chainflow.nft_owners"
                  " WHERE chain = $1 AND contract = $2 AND token_id = $3::numeric",
                  {chain, contract_hex, token_decimal}));
  if (result.rows.empty()) {
    return core::NotFoundError(
        fmt::format("no token {} of contract {} on chain {}", token_decimal, contract_hex, chain));
  }
  const auto& row = result.rows.front();
  ASSIGN_OR_RETURN(int64_t block_number, ParseInt(row[1], "block_number"));
  ASSIGN_OR_RETURN(int64_t log_index, ParseInt(row[2], "log_index"));
  return json::object{
      {"chain", chain},
      {"contract", contract_hex},
      {"token_id", token_decimal},
      {"owner", TextOrNull(row[0])},
      {"block_number", block_number},
      {"log_index", log_index},
      {"tx_hash", TextOrNull(row[3])},
  };
}

core::Result<json::value> NftHandlers::ListNfts(const std::string& owner_text,
                                                const std::optional<std::string>& chain_text,
                                                const std::optional<std::string>& contract_text,
                                                const std::optional<std::string>& limit_text,
                                                const std::optional<std::string>& cursor) const {
  ASSIGN_OR_RETURN(core::Address owner_address, ParseAddress("address", owner_text));
  std::string owner = owner_address.ToHex();
  std::vector<std::string> params{owner};
  std::string filters;
  std::optional<std::string> chain;
  std::optional<std::string> contract;
  if (chain_text) {
    ASSIGN_OR_RETURN(chain, ParseChain("chain", *chain_text, chains_));
    params.push_back(*chain);
    filters += fmt::format(" AND chain = ${}", params.size());
  }
  if (contract_text) {
    ASSIGN_OR_RETURN(core::Address address, ParseAddress("contract", *contract_text));
    contract = address.ToHex();
    params.push_back(*contract);
    filters += fmt::format(" AND contract = ${}", params.size());
  }
  ASSIGN_OR_RETURN(int limit, ParseLimit("limit", limit_text, kDefaultPageLimit, kMaxPageLimit));
  std::string scope = CursorScope(owner, chain, contract);
  std::string after_erc721;
  std::string after_erc1155;
  if (cursor) {
    ASSIGN_OR_RETURN(OwnerNftKey key, DecodeCursor(*cursor, scope));
    params.push_back(key.chain);
    params.push_back(key.contract.ToHex());
    params.push_back(core::U256ToDecimal(key.token_id));
    std::string tuple = fmt::format("(${}, ${}, ${}::numeric)", params.size() - 2,
                                    params.size() - 1, params.size());
    after_erc721 = fmt::format(" AND (chain, contract, token_id) {} {}",
                               key.standard == "erc1155" ? ">=" : ">", tuple);
    after_erc1155 = fmt::format(" AND (chain, contract, token_id) > {}", tuple);
  }
  params.push_back(std::to_string(limit + 1));  // one more: is there a next page?
  ASSIGN_OR_RETURN(QueryResult result,
                   pool_.Query(ListingSql(filters, after_erc721, after_erc1155, params.size()),
                               params));

  json::array items;
  std::optional<OwnerNftKey> last;
  size_t shown = std::min(result.rows.size(), static_cast<size_t>(limit));
  for (size_t i = 0; i < shown; ++i) {
    const auto& row = result.rows[i];
    if (!row[0] || !row[1] || !row[2] || !row[4]) {
      return core::InternalError("NFT listing returned a NULL key column");
    }
    json::object item{{"chain", *row[0]}, {"contract", *row[1]}, {"token_id", *row[2]}};
    if (row[3]) item["balance"] = *row[3];
    item["standard"] = *row[4];
    items.push_back(std::move(item));
    if (i + 1 == shown) {
      auto last_contract = core::Address::FromHex(*row[1]);
      auto last_token = core::U256FromDecimal(*row[2]);
      if (!last_contract || !last_token) {
        return core::InternalError("NFT listing returned a malformed contract or token id");
      }
      last = OwnerNftKey{*row[0], last_contract.value(), last_token.value(), *row[4]};
    }
  }
  json::value next_cursor = nullptr;
  if (result.rows.size() > static_cast<size_t>(limit) && last) {
    next_cursor = EncodeCursor(*last, scope);
  }
  return json::object{{"items", std::move(items)}, {"next_cursor", std::move(next_cursor)}};
}

}  // namespace chainflow::api::handlers
