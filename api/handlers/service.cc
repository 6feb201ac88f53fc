#include "api/handlers/service.h"

#include <fmt/format.h>

#include "api/handlers/routes.h"

namespace chainflow::api::handlers {

core::Result<std::unique_ptr<ApiService>> ApiService::Open(const core::Config& config,
                                                           StatusSource& status) {
  http::ServerOptions options;
  options.listen = config.api.listen;
  options.threads = config.api.threads;
  return Open(config, status, options);
}

core::Result<std::unique_ptr<ApiService>> ApiService::Open(const core::Config& config,
                                                           StatusSource& status,
                                                           const http::ServerOptions& options) {
  if (config.postgres.pool_size < 1) {
    return core::InvalidArgumentError(
        fmt::format("postgres.pool_size: {} is less than 1", config.postgres.pool_size));
  }
  RETURN_IF_ERROR(http::ValidateServerOptions(options));
  std::unique_ptr<ApiService> service(new ApiService());
  QueryPoolOptions pool_options;
  pool_options.url = config.postgres.url;
  pool_options.size = config.postgres.pool_size;
  service->pool_ = std::make_unique<QueryPool>(pool_options);
  service->router_ = std::make_unique<http::Router>();
  RegisterRoutes(*service->router_, config, *service->pool_, status);
  ASSIGN_OR_RETURN(service->server_, http::Server::Open(options, *service->router_));
  return service;
}

ApiService::~ApiService() { Stop(); }

core::Status ApiService::Start() { return server_->Start(); }

void ApiService::Stop() {
  if (server_ != nullptr) server_->Stop();
}

}  // namespace chainflow::api::handlers
