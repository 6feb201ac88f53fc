#pragma once

#include "api/handlers/query_pool.h"
#include "api/handlers/status.h"
#include "api/http/router.h"
#include "engine/core/config.h"

namespace chainflow::api::handlers {

// Registers every endpoint of DESIGN.md §6 that the API serves:
//   GET /v1/nfts/{chain}/{contract}/{token_id}
//   GET /v1/owners/{address}/nfts
//   GET /v1/status, /healthz, /readyz, /metrics
// `config` is read during the call only; `pool` and `status` must outlive
// `router`.
void RegisterRoutes(http::Router& router, const core::Config& config, QueryPool& pool,
                    StatusSource& status);

}  // namespace chainflow::api::handlers
