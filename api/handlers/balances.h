#pragma once

#include <optional>
#include <set>
#include <string>

#include <boost/json/value.hpp>

#include "api/handlers/query_pool.h"
#include "api/http/message.h"
#include "engine/core/config.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// Most balances one request returns (per kind); a wallet holding more is
// asked to filter by chain or token.
inline constexpr int kMaxBalances = 1000;

// GET /v1/balances/{address}?chain=&token= over chainflow.token_balances
// (fungible, projections/token) and chainflow.nft_balances (ERC-1155),
// through their by-account / by-owner indexes. Zero balances are left out.
//
// Thread-safe: const after construction; `pool` must outlive this.
class BalanceHandlers {
 public:
  BalanceHandlers(const core::Config& config, QueryPool& pool);

  http::Response GetBalances(const http::Request& request) const;

  // The body: {"address", "fungible": [{chain, token, balance,
  // block_number}], "erc1155": [{chain, contract, token_id, balance}]},
  // each sorted by key. InvalidArgument names a bad field; an empty query
  // parameter counts as absent.
  core::Result<boost::json::value> ListBalances(const std::string& address,
                                                const std::optional<std::string>& chain,
                                                const std::optional<std::string>& token) const;

 private:
  std::set<std::string> chains_;
  QueryPool& pool_;
};

}  // namespace chainflow::api::handlers
