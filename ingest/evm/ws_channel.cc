#include "ingest/evm/ws_channel.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

#include "ingest/evm/stream_connect.h"

namespace chainflow::ingest::evm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using internal::Await;
using internal::Completion;
using internal::TransportError;

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// All socket work runs on the owner's thread inside ioc_.run(); Interrupt()
// posts its close to ioc_, so it runs on that thread too.
template <typename Ws>
class BeastWsChannel final : public MessageChannel {
 public:
  BeastWsChannel(core::EndpointUrl url, EndpointOptions options,
                 std::shared_ptr<asio::ssl::context> tls, std::chrono::milliseconds idle_ping)
      : url_(std::move(url)),
        redacted_(core::RedactUrl(options.url)),
        options_(std::move(options)),
        tls_(std::move(tls)),
        idle_ping_(idle_ping) {
    if (!url_.userinfo.empty()) {
      options_.headers.emplace("Authorization", BasicAuthorization(url_.userinfo));
    }
  }
  ~BeastWsChannel() override { Close(); }

  core::Status Connect() override {
    Close();
    if constexpr (std::is_same_v<Ws, TlsWs>) {
      try {
        ws_ = std::make_unique<Ws>(ioc_, *tls_);
      } catch (const boost::system::system_error& e) {  // SSL_new failed
        return core::InternalError(fmt::format("TLS stream for {}: {}", redacted_, e.what()));
      }
    } else {
      ws_ = std::make_unique<Ws>(ioc_);
    }
    core::Status status = Open();
    if (!status.ok()) Close();
    return status;
  }

  core::Status Send(const std::string& text) override {
    if (!ws_) return core::UnavailableError(fmt::format("websocket {}: not connected", redacted_));
    beast::get_lowest_layer(*ws_).expires_after(options_.timeout);
    Completion written;
    ws_->async_write(asio::buffer(text), written.Handler());
    if (auto ec = Await(ioc_, written)) return Failed(ec, "write");
    return core::Status::Ok();
  }

  core::Result<std::string> Receive(std::chrono::milliseconds timeout) override {
    if (!ws_) return core::UnavailableError(fmt::format("websocket {}: not connected", redacted_));
    auto& tcp = beast::get_lowest_layer(*ws_);
    if (timeout.count() > 0) {
      tcp.expires_after(timeout);
    } else {
      tcp.expires_never();  // the websocket's idle pings watch the peer
    }
    buffer_.clear();
    Completion read;
    ws_->async_read(buffer_, read.Handler());
    if (auto ec = Await(ioc_, read)) return Failed(ec, "read");
    return beast::buffers_to_string(buffer_.data());
  }

  void Close() override {
    if (!ws_) return;
    beast::error_code ignored;
    auto& tcp = beast::get_lowest_layer(*ws_);
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close();
    ws_.reset();
  }

  void Interrupt() override {
    asio::post(ioc_, [this] {
      interrupted_ = true;
      if (ws_) beast::get_lowest_layer(*ws_).close();
    });
  }

 private:
  core::Status Open() {
    RETURN_IF_ERROR(internal::ConnectTcp(ioc_, *ws_, url_, options_.timeout));
    if constexpr (std::is_same_v<Ws, TlsWs>) {
      RETURN_IF_ERROR(
          internal::HandshakeTls(ioc_, ws_->next_layer(), url_, options_.timeout, redacted_));
    }
    beast::get_lowest_layer(*ws_).expires_never();
    websocket::stream_base::timeout limits{};
    limits.handshake_timeout = options_.timeout;
    limits.idle_timeout =
        idle_ping_.count() > 0 ? beast::websocket::stream_base::duration(2 * idle_ping_)
                               : websocket::stream_base::none();
    limits.keep_alive_pings = idle_ping_.count() > 0;
    ws_->set_option(limits);
    auto headers = options_.headers;
    ws_->set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    ws_->read_message_max(1ull << 30);
    // Offer permessage-deflate (RFC 7692): a provider that accepts it sends
    // eth_getLogs answers several times smaller; Beast inflates them with
    // its own zlib port. Our requests are small, so they go uncompressed.
    websocket::permessage_deflate deflate;
    deflate.client_enable = true;
    deflate.msg_size_threshold = 1u << 30;
    ws_->set_option(deflate);
    ws_->text(true);
    std::string host = internal::HostHeader(url_);
    websocket::response_type res;
    Completion upgraded;
    ws_->async_handshake(res, host, url_.target, upgraded.Handler());
    auto ec = Await(ioc_, upgraded);
    if (ec == websocket::error::upgrade_declined) return Declined(res.result_int());
    if (ec) return Failed(ec, "upgrade");
    return core::Status::Ok();
  }

  // A plain HTTP answer to the upgrade: overload and outages are retried,
  // anything else (401, 404: a wrong key or path) is a configuration error.
  core::Status Declined(unsigned status) {
    std::string what = fmt::format("websocket {}: the server declined the upgrade with HTTP {}",
                                   redacted_, status);
    if (status == 429 || status >= 500) return core::UnavailableError(what);
    return core::FailedPreconditionError(what);
  }

  core::Status Failed(const beast::error_code& ec, std::string_view what) {
    if (interrupted_) return core::CancelledError(fmt::format("websocket {}: stopped", redacted_));
    return TransportError(ec, fmt::format("websocket {} {}", redacted_, what));
  }

  core::EndpointUrl url_;
  std::string redacted_;
  EndpointOptions options_;
  std::shared_ptr<asio::ssl::context> tls_;  // TlsWs only
  std::chrono::milliseconds idle_ping_;
  asio::io_context ioc_;
  std::unique_ptr<Ws> ws_;  // null while disconnected
  beast::flat_buffer buffer_;
  bool interrupted_ = false;  // owner thread only (set by the posted handler)
};

}  // namespace

core::Result<std::unique_ptr<MessageChannel>> OpenWebSocketChannel(
    const EndpointOptions& options, std::chrono::milliseconds idle_ping) {
  ASSIGN_OR_RETURN(core::EndpointUrl url, core::ParseEndpointUrl(options.url));
  if (!url.websocket()) {
    return core::InvalidArgumentError(fmt::format("websocket url \"{}\": not ws:// or wss://",
                                                  core::RedactUrl(options.url)));
  }
  if (!url.tls()) {
    return std::unique_ptr<MessageChannel>(
        new BeastWsChannel<PlainWs>(std::move(url), options, nullptr, idle_ping));
  }
  ASSIGN_OR_RETURN(auto tls, MakeTlsContext(options.ca_file));
  return std::unique_ptr<MessageChannel>(
      new BeastWsChannel<TlsWs>(std::move(url), options, std::move(tls), idle_ping));
}

}  // namespace chainflow::ingest::evm
