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

// GET /v1/accruals/{address}?chain=&token=&limit=&cursor= over
// chainflow.accruals (projections/accruals), through its index
// accruals_by_account (account, day DESC, chain, token).
//
// Thread-safe: const after construction; `pool` must outlive this.
class AccrualHandlers {
 public:
  AccrualHandlers(const core::Config& config, QueryPool& pool);

  // (an empty query parameter counts as absent)
  http::Response ListAccruals(const http::Request& request) const;

  // The body: {"address","items":[{"day","end","chain","token","balance",
  // "rate_bps","accrued","carry","total_accrued"}],"next_cursor"}: the
  // address's accruals, newest day first, then by chain and token; at most
  // `limit` (default 100, max 1000); uint256 values decimal strings, the
  // rest JSON numbers. InvalidArgument naming the field ("address: ...",
  // "chain: ...", "token: ...", "limit: ...", "cursor: ...").
  core::Result<boost::json::value> List(const std::string& address,
                                        const std::optional<std::string>& chain,
                                        const std::optional<std::string>& token,
                                        const std::optional<std::string>& limit,
                                        const std::optional<std::string>& cursor) const;

 private:
  QueryPool& pool_;
  std::set<std::string> chains_;
};

}  // namespace chainflow::api::handlers
