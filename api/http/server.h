#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http/router.h"
#include "engine/core/result.h"

namespace chainflow::api::http {

struct ServerOptions {
  // "host:port"; host is an IP literal or a name ("localhost"), "[::1]:80"
  // for IPv6. Port 0 binds an ephemeral port (see Server::port()).
  std::string listen = "127.0.0.1:8080";
  int threads = 2;  // io_context threads; handlers run on them
  size_t body_limit = 1 << 20;       // larger bodies answer 413
  size_t header_limit = 16 << 10;    // larger headers answer 431
  // Time allowed to read one request (headers and body) once its first byte
  // may arrive, including the idle time of a kept-alive connection.
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  // How long Stop() lets in-flight requests finish before cutting them off.
  std::chrono::milliseconds stop_grace{5000};
};

// Validates `options` (listen address, threads >= 1, limits > 0).
core::Status ValidateServerOptions(const ServerOptions& options);

// An asynchronous HTTP/1.1 server (Boost.Beast) with keep-alive, routing every
// request through a Router. Handlers run synchronously on the io threads, so
// `threads` bounds how many requests are handled at once.
//
// Each response is counted in chainflow_api_requests_total{route,method,
// status} and timed in chainflow_api_request_duration_seconds{route} of
// core::MetricsRegistry::Global(); each request is logged at debug on the
// "api.http" logger.
//
// Thread-safety: Start() and Stop() may be called from any thread, not
// concurrently with each other or the destructor.
class Server {
 public:
  // Binds and listens on options.listen (so port() is known and clients may
  // connect; connections are accepted once Start() runs). `router` must
  // outlive the server and not change after Open(). InvalidArgument for bad
  // options, Unavailable if the address cannot be bound.
  static core::Result<std::unique_ptr<Server>> Open(const ServerOptions& options,
                                                    const Router& router);

  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the io threads. Idempotent; FailedPrecondition after Stop().
  core::Status Start();

  // Stops accepting, closes idle connections, lets in-flight requests finish
  // for up to stop_grace, then joins the threads. Idempotent; blocks.
  void Stop();

  // The bound TCP port (the ephemeral one when listen asked for port 0).
  uint16_t port() const;

  class Impl;  // in server.cc; public only so the connection code can name it

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::api::http
