#include "api/handlers/routes.h"

#include <memory>

#include "api/handlers/accruals.h"
#include "api/handlers/balances.h"
#include "api/handlers/contract_events.h"
#include "api/handlers/epochs.h"
#include "api/handlers/intent_lookup.h"
#include "api/handlers/intents.h"
#include "api/handlers/nfts.h"
#include "api/handlers/webhooks.h"

namespace chainflow::api::handlers {

void RegisterRoutes(http::Router& router, const core::Config& config, QueryPool& pool,
                    StatusSource& status) {
  // Shared by the handlers that capture it; lives as long as the router.
  auto nfts = std::make_shared<const NftHandlers>(config, pool);
  router.Get("/v1/nfts/{chain}/{contract}/{token_id}",
             [nfts](const http::Request& request) { return nfts->GetNft(request); });
  router.Get("/v1/owners/{address}/nfts",
             [nfts](const http::Request& request) { return nfts->ListOwnerNfts(request); });
  auto balances = std::make_shared<const BalanceHandlers>(config, pool);
  router.Get("/v1/balances/{address}", [balances](const http::Request& request) {
    return balances->GetBalances(request);
  });
  auto intents = std::make_shared<const IntentLookupHandlers>(pool);
  router.Get("/v1/intents/{id}",
             [intents](const http::Request& request) { return intents->GetIntent(request); });
  auto epochs = std::make_shared<const EpochHandlers>(pool);
  router.Get("/v1/epochs/{n}",
             [epochs](const http::Request& request) { return epochs->GetEpoch(request); });
  auto accruals = std::make_shared<const AccrualHandlers>(config, pool);
  router.Get("/v1/accruals/{address}", [accruals](const http::Request& request) {
    return accruals->ListAccruals(request);
  });
  auto events = std::make_shared<const ContractEventHandlers>(config, pool);
  router.Get("/v1/events/{contract}/{event}", [events](const http::Request& request) {
    return events->ListEvents(request);
  });
  router.Get("/v1/status", [&status](const http::Request&) { return HandleStatus(status); });
  router.Get("/readyz", [&status](const http::Request&) { return HandleReadyz(status); });
  router.Get("/healthz", [](const http::Request&) { return HandleHealthz(); });
  router.Get("/metrics", [](const http::Request&) { return HandleMetrics(); });
}

void RegisterWriteRoutes(http::Router& router, const core::Config& config,
                         const IntentHandlers* intents, const WebhookHandlers* webhooks) {
  const auto limit = static_cast<size_t>(config.intents.max_body_bytes);
  auto unavailable = [](const http::Request&) {
    return http::ErrorResponse(
        core::UnavailableError("this process has no user events output (run serve or run)"));
  };
  if (intents != nullptr) {
    router.Post("/v1/intents", limit,
                [intents](const http::Request& request) { return intents->Submit(request); });
  } else {
    router.Post("/v1/intents", limit, unavailable);
  }
  if (webhooks != nullptr) {
    router.Post("/v1/webhooks/{provider}", limit,
                [webhooks](const http::Request& request) { return webhooks->Receive(request); });
  } else {
    router.Post("/v1/webhooks/{provider}", limit, unavailable);
  }
}

}  // namespace chainflow::api::handlers
