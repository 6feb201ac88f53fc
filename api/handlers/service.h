#pragma once

#include <cstdint>
#include <memory>

#include "api/auth/authenticator.h"
#include "api/handlers/intents.h"
#include "api/handlers/query_pool.h"
#include "api/handlers/status.h"
#include "api/handlers/user_event_writer.h"
#include "api/handlers/webhooks.h"
#include "api/http/router.h"
#include "api/http/server.h"
#include "engine/core/config.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// The whole HTTP API in one object, for the app to embed: a QueryPool on
// config.postgres (pool_size connections, opened lazily, so PostgreSQL
// being down does not stop Open() or Start()), a Router with
// RegisterRoutes(), and a Server on config.api.listen with config.api.threads.
//
// Start() and Stop() as for http::Server; Stop() is idempotent and also run
// by the destructor.
class ApiService {
 public:
  // `status` must outlive the service. InvalidArgument for bad api/postgres
  // settings, Unavailable if the listen address cannot be bound.
  static core::Result<std::unique_ptr<ApiService>> Open(const core::Config& config,
                                                        StatusSource& status);
  // Same, with explicit server options (tests: port 0, short timeouts).
  static core::Result<std::unique_ptr<ApiService>> Open(const core::Config& config,
                                                        StatusSource& status,
                                                        const http::ServerOptions& options);
  // With the write endpoints appending to `user_events` (its sink and store
  // must outlive the service; without it they answer 503). `now` is the
  // wall clock credentials are checked against (unix seconds); records are
  // stamped by `user_events->stamp`, or by `now` when that is empty. Tests
  // pass their own.
  static core::Result<std::unique_ptr<ApiService>> Open(
      const core::Config& config, StatusSource& status, const http::ServerOptions& options,
      const UserEventsOutput* user_events, NowFn now = SystemNow);
  // Server options from config.api (listen, threads).
  static http::ServerOptions ServerOptionsFor(const core::Config& config);

  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  core::Status Start();
  void Stop();

  // The bound port (the ephemeral one when listening on port 0).
  uint16_t port() const { return server_->port(); }

 private:
  ApiService() = default;

  // Destroyed bottom-up: the server (and its threads) before what they use.
  std::unique_ptr<const core::Config> config_;  // a copy: handlers keep references
  std::unique_ptr<QueryPool> pool_;
  std::unique_ptr<auth::Authenticator> auth_;
  std::unique_ptr<UserEventWriter> writer_;
  std::unique_ptr<IntentHandlers> intents_;
  std::unique_ptr<WebhookHandlers> webhooks_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace chainflow::api::handlers
