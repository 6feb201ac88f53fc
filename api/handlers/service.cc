#include "api/handlers/service.h"

#include <fmt/format.h>

#include "api/handlers/routes.h"
#include "engine/core/check.h"

namespace chainflow::api::handlers {

http::ServerOptions ApiService::ServerOptionsFor(const core::Config& config) {
  http::ServerOptions options;
  options.listen = config.api.listen;
  options.threads = config.api.threads;
  return options;
}

core::Result<std::unique_ptr<ApiService>> ApiService::Open(const core::Config& config,
                                                           StatusSource& status) {
  return Open(config, status, ServerOptionsFor(config));
}

core::Result<std::unique_ptr<ApiService>> ApiService::Open(const core::Config& config,
                                                           StatusSource& status,
                                                           const http::ServerOptions& options) {
  return Open(config, status, options, nullptr);
}

core::Result<std::unique_ptr<ApiService>> ApiService::Open(const core::Config& config,
                                                           StatusSource& status,
                                                           const http::ServerOptions& options,
                                                           const UserEventsOutput* user_events,
                                                           NowFn now) {
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
  service->config_ = std::make_unique<const core::Config>(config);
  const core::Config& kept = *service->config_;
  RegisterRoutes(*service->router_, kept, *service->pool_, status);
  if (user_events != nullptr) {
    CF_CHECK(user_events->sink != nullptr && user_events->store != nullptr,
             "UserEventsOutput needs a sink and a store");
    service->auth_ = std::make_unique<auth::Authenticator>(kept.auth);
    service->writer_ = std::make_unique<UserEventWriter>(*user_events->sink, *user_events->store);
    service->intents_ = std::make_unique<IntentHandlers>(kept, *service->auth_,
                                                         *service->writer_, *user_events, now);
    service->webhooks_ =
        std::make_unique<WebhookHandlers>(kept, *service->writer_, *user_events, now);
  }
  RegisterWriteRoutes(*service->router_, kept, service->intents_.get(),
                      service->webhooks_.get());
  ASSIGN_OR_RETURN(service->server_, http::Server::Open(options, *service->router_));
  return service;
}

ApiService::~ApiService() { Stop(); }

core::Status ApiService::Start() { return server_->Start(); }

void ApiService::Stop() {
  if (server_ != nullptr) server_->Stop();
}

}  // namespace chainflow::api::handlers
