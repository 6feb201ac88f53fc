#include "api/handlers/routes.h"

#include <memory>

#include "api/handlers/nfts.h"

namespace chainflow::api::handlers {

void RegisterRoutes(http::Router& router, const core::Config& config, QueryPool& pool,
                    StatusSource& status) {
  // Shared by the handlers that capture it; lives as long as the router.
  auto nfts = std::make_shared<const NftHandlers>(config, pool);
  router.Get("/v1/nfts/{chain}/{contract}/{token_id}",
             [nfts](const http::Request& request) { return nfts->GetNft(request); });
  router.Get("/v1/owners/{address}/nfts",
             [nfts](const http::Request& request) { return nfts->ListOwnerNfts(request); });
  router.Get("/v1/status", [&status](const http::Request&) { return HandleStatus(status); });
  router.Get("/readyz", [&status](const http::Request&) { return HandleReadyz(status); });
  router.Get("/healthz", [](const http::Request&) { return HandleHealthz(); });
  router.Get("/metrics", [](const http::Request&) { return HandleMetrics(); });
}

}  // namespace chainflow::api::handlers
