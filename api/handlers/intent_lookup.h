#pragma once

#include <string>

#include <boost/json/value.hpp>

#include "api/handlers/query_pool.h"
#include "api/http/message.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// GET /v1/intents/{id} over chainflow.intents (projections/intents), one
// primary-key lookup. The id is 32 hex digits (IntentId(): lowercase; any
// case is accepted and lowercased, as addresses are).
//
// Thread-safe: const after construction; `pool` must outlive this.
class IntentLookupHandlers {
 public:
  explicit IntentLookupHandlers(QueryPool& pool);

  http::Response GetIntent(const http::Request& request) const;

  // The body: {"intent_id","kind","chain","token","payer","payee","amount",
  // "memo","status","reason","submitted_at","decided_at","expires_at",
  // "epoch","available"}; amount and available are decimal strings, times
  // unix seconds as JSON numbers; decided_at, expires_at and available are
  // null when the intent has none. InvalidArgument ("id: ...") for a
  // malformed id, NotFound for an unknown one.
  core::Result<boost::json::value> LookupIntent(const std::string& id) const;

 private:
  QueryPool& pool_;
};

// `text` as an intent id: 32 hex digits, returned lowercase; InvalidArgument
// naming `field` otherwise.
core::Result<std::string> ParseIntentId(std::string_view field, std::string_view text);

}  // namespace chainflow::api::handlers
