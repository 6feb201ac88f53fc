#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace chainflow::testing {

// A TLS-terminating TCP proxy on 127.0.0.1 (a free port) in front of a plain
// TCP server (Anvil): TLS with `cert_pem`/`key_pem` towards clients, plain
// TCP upstream, bytes copied both ways as they come, so it carries HTTP
// keep-alive and WebSocket upgrades alike. One owned thread runs every
// connection asynchronously. For tests only.
class TlsProxy {
 public:
  TlsProxy(const std::string& cert_pem, const std::string& key_pem, uint16_t upstream_port);
  ~TlsProxy();  // Stop()
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  uint16_t port() const { return port_; }
  // "https://localhost:<port>" or "wss://..." with `host` and `path`.
  std::string Url(const std::string& scheme, const std::string& host = "localhost",
                  const std::string& path = "") const;

  // Closes every open connection (clients see the socket drop). Thread-safe.
  void KillConnections();
  // While refusing, new connections are closed as soon as they are accepted
  // (a node that is down). Thread-safe.
  void SetRefusing(bool refusing) { refusing_ = refusing; }
  int accepted() const { return accepted_.load(); }
  int handshakes_failed() const { return handshakes_failed_.load(); }
  void Stop();  // idempotent

  struct Session;

 private:
  void Accept();

  boost::asio::io_context ioc_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  uint16_t upstream_port_;
  std::atomic<bool> refusing_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> handshakes_failed_{0};
  std::set<std::shared_ptr<Session>> sessions_;  // the io thread's
  std::once_flag stopped_;
  std::thread thread_;
};

}  // namespace chainflow::testing
