#pragma once

#include "api/handlers/query_pool.h"
#include "api/handlers/status.h"
#include "api/http/router.h"
#include "engine/core/config.h"

namespace chainflow::api::handlers {

// Registers every endpoint of DESIGN.md §6 that the API serves:
//   GET /v1/nfts/{chain}/{contract}/{token_id}
//   GET /v1/owners/{address}/nfts
//   GET /v1/balances/{address}
//   GET /v1/intents/{id}
//   GET /v1/epochs/{n}, GET /v1/accruals/{address}
//   GET /v1/events/{contract}/{event}
//   GET /v1/status, /healthz, /readyz, /metrics
// `config` is read during the call only; `pool` and `status` must outlive
// `router`.
void RegisterRoutes(http::Router& router, const core::Config& config, QueryPool& pool,
                    StatusSource& status);

// Registers the write endpoints, with config.intents.max_body_bytes as their
// body limit:
//   POST /v1/intents, POST /v1/webhooks/{provider}
// `intents` and `webhooks` must outlive `router`; null: the process has no
// user events output and both answer 503.
class IntentHandlers;
class WebhookHandlers;
void RegisterWriteRoutes(http::Router& router, const core::Config& config,
                         const IntentHandlers* intents, const WebhookHandlers* webhooks);

}  // namespace chainflow::api::handlers
