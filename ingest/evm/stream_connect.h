#pragma once

// Blocking connection set-up shared by the HTTP and WebSocket transports:
// each runs Beast's async operations on its own io_context with run(), so a
// stream's expiry bounds every step. Internal to ingest/evm.

#include <chrono>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "engine/core/result.h"
#include "engine/core/url.h"
#include "ingest/evm/tls.h"

namespace chainflow::ingest::evm::internal {

// The outcome of one asynchronous operation run by Await.
struct Completion {
  boost::beast::error_code ec;
  bool done = false;
  // A completion handler for any signature (error_code, ...).
  auto Handler() {
    return [this](boost::beast::error_code e, auto&&...) {
      ec = e;
      done = true;
    };
  }
};

// Runs the io_context until the operation completes and returns its error.
// Not ioc.run(): a WebSocket keeps internal timers (idle pings) pending, so
// the context is never out of work while a connection is open.
inline boost::beast::error_code Await(boost::asio::io_context& ioc, Completion& completion) {
  ioc.restart();
  while (!completion.done && ioc.run_one() > 0) {
  }
  return completion.ec;
}

// A failed read, write or connect: DeadlineExceeded on expiry, else
// Unavailable (the caller reconnects and may retry).
inline core::Status TransportError(const boost::beast::error_code& ec, std::string_view what) {
  if (ec == boost::beast::error::timeout) {
    return core::DeadlineExceededError(fmt::format("{} timed out", what));
  }
  return core::UnavailableError(fmt::format("{}: {}", what, ec.message()));
}

// The Host header for `url` (RFC 9110 §7.2): the host, bracketed if an
// IPv6 literal, with the port unless it is the scheme's default.
inline std::string HostHeader(const core::EndpointUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  bool default_port = url.port == (url.tls() ? "443" : "80");
  return default_port ? host : host + ":" + url.port;
}

// Resolves url.host and connects the lowest layer of `stream` within
// `timeout`. The expiry is left set (the caller renews or clears it).
template <typename Stream>
core::Status ConnectTcp(boost::asio::io_context& ioc, Stream& stream,
                        const core::EndpointUrl& url, std::chrono::milliseconds timeout) {
  namespace beast = boost::beast;
  using tcp = boost::asio::ip::tcp;
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  Completion resolved;
  resolver.async_resolve(url.host, url.port,
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           endpoints = std::move(r);
                           resolved.Handler()(e);
                         });
  if (auto ec = Await(ioc, resolved)) {
    return TransportError(ec, fmt::format("resolve {}", url.host));
  }
  auto& tcp_stream = beast::get_lowest_layer(stream);
  tcp_stream.expires_after(timeout);
  Completion connected;
  tcp_stream.async_connect(endpoints, connected.Handler());
  if (auto ec = Await(ioc, connected)) {
    return TransportError(ec, fmt::format("connect {}:{}", url.host, url.port));
  }
  return core::Status::Ok();
}

// The client side of a TLS handshake on a connected beast::ssl_stream, with
// SNI and certificate checks (TlsVerifier). Errors name `redacted_url`.
template <typename SslStream>
core::Status HandshakeTls(boost::asio::io_context& ioc, SslStream& stream,
                          const core::EndpointUrl& url, std::chrono::milliseconds timeout,
                          std::string_view redacted_url) {
  namespace beast = boost::beast;
  TlsVerifier verifier(url.host);
  RETURN_IF_ERROR(verifier.Apply(stream));
  beast::get_lowest_layer(stream).expires_after(timeout);
  Completion handshake;
  stream.async_handshake(boost::asio::ssl::stream_base::client, handshake.Handler());
  if (auto ec = Await(ioc, handshake)) return verifier.HandshakeError(ec, redacted_url);
  return core::Status::Ok();
}

}  // namespace chainflow::ingest::evm::internal
