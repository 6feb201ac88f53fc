#include "tests/support/tls_proxy.h"

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace chainflow::testing {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// One client connection and its upstream twin. Lives on the io thread.
struct TlsProxy::Session : std::enable_shared_from_this<TlsProxy::Session> {
  Session(tcp::socket socket, ssl::context& tls, TlsProxy& owner)
      : client(std::move(socket), tls), upstream(client.get_executor()), proxy(owner) {}

  void Start() {
    auto self = shared_from_this();
    client.async_handshake(ssl::stream_base::server, [self](ErrorCode ec) {
      if (ec) {
        ++self->proxy.handshakes_failed_;
        return self->Close();
      }
      tcp::endpoint up(asio::ip::make_address("127.0.0.1"), self->proxy.upstream_port_);
      self->upstream.async_connect(up, [self](ErrorCode ec2) {
        if (ec2) return self->Close();
        self->ClientToUpstream();
        self->UpstreamToClient();
      });
    });
  }

  void ClientToUpstream() {
    auto self = shared_from_this();
    client.async_read_some(asio::buffer(from_client), [self](ErrorCode ec, size_t n) {
      if (ec) return self->Close();
      asio::async_write(self->upstream, asio::buffer(self->from_client, n),
                        [self](ErrorCode ec2, size_t) {
                          if (ec2) return self->Close();
                          self->ClientToUpstream();
                        });
    });
  }

  void UpstreamToClient() {
    auto self = shared_from_this();
    upstream.async_read_some(asio::buffer(from_upstream), [self](ErrorCode ec, size_t n) {
      if (ec) return self->Close();
      asio::async_write(self->client, asio::buffer(self->from_upstream, n),
                        [self](ErrorCode ec2, size_t) {
                          if (ec2) return self->Close();
                          self->UpstreamToClient();
                        });
    });
  }

  // Drops both sides at once (no TLS close_notify: a connection that dies).
  void Close() {
    ErrorCode ignored;
    client.lowest_layer().close(ignored);
    upstream.close(ignored);
    proxy.sessions_.erase(shared_from_this());
  }

  ssl::stream<tcp::socket> client;
  tcp::socket upstream;
  TlsProxy& proxy;
  std::array<char, 16384> from_client;
  std::array<char, 16384> from_upstream;
};

TlsProxy::TlsProxy(const std::string& cert_pem, const std::string& key_pem,
                   uint16_t upstream_port)
    : tls_(ssl::context::tls_server),
      acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      upstream_port_(upstream_port) {
  tls_.use_certificate_chain_file(cert_pem);
  tls_.use_private_key_file(key_pem, ssl::context::pem);
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

TlsProxy::~TlsProxy() { Stop(); }

std::string TlsProxy::Url(const std::string& scheme, const std::string& host,
                          const std::string& path) const {
  return fmt::format("{}://{}:{}{}", scheme, host, port_, path);
}

void TlsProxy::Accept() {
  acceptor_.async_accept([this](ErrorCode ec, tcp::socket socket) {
    if (ec) return;  // closed by Stop
    ++accepted_;
    if (!refusing_) {
      auto session = std::make_shared<Session>(std::move(socket), tls_, *this);
      sessions_.insert(session);
      session->Start();
    }
    Accept();
  });
}

void TlsProxy::KillConnections() {
  asio::post(ioc_, [this] {
    auto sessions = sessions_;
    for (const auto& s : sessions) s->Close();
  });
}

void TlsProxy::Stop() {
  std::call_once(stopped_, [this] {
    asio::post(ioc_, [this] {
      ErrorCode ignored;
      acceptor_.close(ignored);
      auto sessions = sessions_;
      for (const auto& s : sessions) s->Close();
    });
    thread_.join();
  });
}

}  // namespace chainflow::testing
