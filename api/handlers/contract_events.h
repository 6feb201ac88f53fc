#pragma once

#include <set>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "api/handlers/event_query.h"
#include "api/handlers/query_pool.h"
#include "api/http/message.h"
#include "engine/core/config.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// GET /v1/events/{contract}/{event}?chain=&from_block=&to_block=&<param>=&limit=&cursor=
// over the contract-events projection's tables (api/README.md, "Reading:
// GET /v1/events"). Per request: one registry query
// (chainflow.contract_tables), then one keyset page query.
//
// Thread-safe: const after construction; `pool` must outlive this.
class ContractEventHandlers {
 public:
  ContractEventHandlers(const core::Config& config, QueryPool& pool);

  http::Response ListEvents(const http::Request& request) const;

  // The body, for tests: 404 (NotFound) for an unknown contract or event,
  // 400 (InvalidArgument naming the field) for a bad query.
  core::Result<boost::json::value> List(
      const std::string& contract, const std::string& event,
      const std::vector<std::pair<std::string, std::string>>& query) const;

 private:
  core::Result<std::vector<EventTableInfo>> Tables(const std::string& contract) const;

  std::set<std::string> chains_;
  QueryPool& pool_;
};

}  // namespace chainflow::api::handlers
