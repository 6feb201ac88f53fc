#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/handlers/query_pool.h"
#include "api/http/message.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// GET /v1/epochs/{n}?accounts=&limit=&cursor= over chainflow.epochs,
// chainflow.epoch_totals and chainflow.settlements (projections/settlements).
//
// Thread-safe: const after construction; `pool` must outlive this.
class EpochHandlers {
 public:
  explicit EpochHandlers(QueryPool& pool);

  // (an empty query parameter counts as absent)
  http::Response GetEpoch(const http::Request& request) const;

  // The body: {"epoch","start","end","settled","rejected","digest",
  // "totals":[{"chain","token","amount","intents"}]} (totals by chain and
  // token; amount a decimal string, counts and times JSON numbers), and with
  // accounts = true also "accounts":[{"chain","token","account","debited",
  // "credited","paid","received"}] (one page in (chain, token, account)
  // order, at most `limit`, default 100, max 1000) and "next_cursor" (null
  // on the last page). InvalidArgument naming the field ("n: ...",
  // "accounts: ...", "limit: ...", "cursor: ...") before any query;
  // NotFound for an epoch with no EpochSettled applied.
  core::Result<boost::json::value> LookupEpoch(const std::string& n,
                                               const std::optional<std::string>& accounts,
                                               const std::optional<std::string>& limit,
                                               const std::optional<std::string>& cursor) const;

 private:
  // Adds "accounts" and "next_cursor" to `body`: the page after the key
  // `after` (chain, token, account), or the first.
  core::Status AccountsPage(int64_t epoch, int limit,
                            const std::optional<std::vector<std::string>>& after,
                            boost::json::object& body) const;

  QueryPool& pool_;
};

}  // namespace chainflow::api::handlers
