#pragma once

#include <set>
#include <string>

#include <boost/json/value.hpp>

#include "api/handlers/cursor.h"
#include "api/handlers/query_pool.h"
#include "api/http/message.h"
#include "engine/core/config.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

inline constexpr int kDefaultPageLimit = 100;
inline constexpr int kMaxPageLimit = 1000;

// The NFT read endpoints over the projector's tables chainflow.nft_owners
// (ERC-721) and chainflow.nft_balances (ERC-1155) (DESIGN.md §5).
//
// GET /v1/owners/{address}/nfts needs an index whose leading column is owner
// on each table, e.g. (owner, chain, contract, token_id): the projector's
// migrations create them (api/README.md).
//
// Thread-safe: const after construction; `pool` must outlive this.
class NftHandlers {
 public:
  NftHandlers(const core::Config& config, QueryPool& pool);

  // GET /v1/nfts/{chain}/{contract}/{token_id}
  http::Response GetNft(const http::Request& request) const;
  // GET /v1/owners/{address}/nfts?chain=&contract=&limit=&cursor=
  // (an empty query parameter counts as absent)
  http::Response ListOwnerNfts(const http::Request& request) const;

  // The bodies of the two endpoints, for tests and other callers.
  core::Result<boost::json::value> LookupNft(const std::string& chain,
                                             const std::string& contract,
                                             const std::string& token_id) const;
  core::Result<boost::json::value> ListNfts(const std::string& owner,
                                            const std::optional<std::string>& chain,
                                            const std::optional<std::string>& contract,
                                            const std::optional<std::string>& limit,
                                            const std::optional<std::string>& cursor) const;

 private:
  std::set<std::string> chains_;  // configured chain names
  QueryPool& pool_;
};

}  // namespace chainflow::api::handlers
