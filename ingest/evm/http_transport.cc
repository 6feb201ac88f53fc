#include "ingest/evm/http_transport.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "ingest/evm/gzip.h"
#include "ingest/evm/stream_connect.h"

namespace chainflow::ingest::evm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using internal::Await;
using internal::Completion;
using internal::TransportError;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One keep-alive connection over Stream (PlainStream or TlsStream). A new
// stream object per connection: an SSL session cannot be reopened.
template <typename Stream>
class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(core::EndpointUrl url, EndpointOptions options,
                 std::shared_ptr<asio::ssl::context> tls)
      : url_(std::move(url)),
        redacted_(core::RedactUrl(options.url)),
        options_(std::move(options)),
        tls_(std::move(tls)) {
    if (!url_.userinfo.empty()) {
      options_.headers.emplace("Authorization", BasicAuthorization(url_.userinfo));
    }
  }
  ~BeastTransport() override { Close(); }

  core::Result<HttpReply> Post(const std::string& body) override {
    bool reused = stream_ != nullptr;
    if (!stream_) RETURN_IF_ERROR(Connect());
    auto reply = Exchange(body);
    if (reply || !reused || reply.error().code() == core::StatusCode::kDeadlineExceeded) {
      if (!reply) Close();
      return reply;
    }
    // The server closed the idle keep-alive connection: one fresh try.
    Close();
    RETURN_IF_ERROR(Connect());
    reply = Exchange(body);
    if (!reply) Close();
    return reply;
  }

 private:
  core::Status Connect() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      try {
        stream_ = std::make_unique<Stream>(ioc_, *tls_);
      } catch (const boost::system::system_error& e) {  // SSL_new failed
        return core::InternalError(fmt::format("TLS stream for {}: {}", redacted_, e.what()));
      }
    } else {
      stream_ = std::make_unique<Stream>(ioc_);
    }
    core::Status status = internal::ConnectTcp(ioc_, *stream_, url_, options_.timeout);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (status.ok()) {
        status = internal::HandshakeTls(ioc_, *stream_, url_, options_.timeout, redacted_);
      }
    }
    if (!status.ok()) {
      Close();
      return status;
    }
    buffer_.clear();
    return core::Status::Ok();
  }

  // Drops the connection without a TLS close_notify: the server sees an
  // end of stream either way, and waiting for its reply could block.
  void Close() {
    if (!stream_) return;
    beast::error_code ignored;
    auto& tcp = beast::get_lowest_layer(*stream_);
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close();
    stream_.reset();
  }

  core::Result<HttpReply> Exchange(const std::string& body) {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, internal::HostHeader(url_));
    req.set(http::field::content_type, "application/json");
    // eth_getLogs answers are JSON that gzip makes 5-15 times smaller; a
    // node that does not compress ignores this.
    req.set(http::field::accept_encoding, "gzip");
    for (const auto& [name, value] : options_.headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    beast::get_lowest_layer(*stream_).expires_after(options_.timeout);  // write and read
    Completion written;
    http::async_write(*stream_, req, written.Handler());
    if (auto ec = Await(ioc_, written)) return TransportError(ec, "write");
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    Completion read;
    http::async_read(*stream_, buffer_, parser, read.Handler());
    if (auto ec = Await(ioc_, read)) return TransportError(ec, "read");
    auto& res = parser.get();
    HttpReply reply;
    reply.status = res.result_int();
    auto retry_after = res.find(http::field::retry_after);
    if (retry_after != res.end()) reply.retry_after = std::string(retry_after->value());
    bool keep_alive = res.keep_alive();
    auto encoding = res.find(http::field::content_encoding);
    if (encoding == res.end() || beast::iequals(encoding->value(), "identity")) {
      reply.body = std::move(res.body());
    } else if (beast::iequals(encoding->value(), "gzip") ||
               beast::iequals(encoding->value(), "x-gzip")) {
      auto inflated = Gunzip(res.body(), kMaxBody);
      if (!inflated) {
        Close();
        return core::UnavailableError(
            fmt::format("{}: {}", redacted_, inflated.error().message()));
      }
      reply.body = std::move(inflated).value();
    } else {
      Close();
      return core::UnavailableError(
          fmt::format("{}: a body in Content-Encoding \"{}\", which was not asked for",
                      redacted_, std::string(encoding->value())));
    }
    if (!keep_alive) Close();
    return reply;
  }

  static constexpr size_t kMaxBody = size_t{1} << 30;  // as sent, and inflated

  core::EndpointUrl url_;
  std::string redacted_;
  EndpointOptions options_;
  std::shared_ptr<asio::ssl::context> tls_;  // TlsStream only
  asio::io_context ioc_;
  std::unique_ptr<Stream> stream_;  // null while disconnected
  beast::flat_buffer buffer_;
};

}  // namespace

core::Result<std::unique_ptr<HttpTransport>> OpenBeastTransport(const EndpointOptions& options) {
  ASSIGN_OR_RETURN(core::EndpointUrl url, core::ParseEndpointUrl(options.url));
  if (url.websocket()) {
    return core::InvalidArgumentError(fmt::format(
        "rpc url \"{}\": a ws(s) URL needs the WebSocket transport", core::RedactUrl(options.url)));
  }
  if (!url.tls()) {
    return std::unique_ptr<HttpTransport>(
        new BeastTransport<PlainStream>(std::move(url), options, nullptr));
  }
  ASSIGN_OR_RETURN(auto tls, MakeTlsContext(options.ca_file));
  return std::unique_ptr<HttpTransport>(
      new BeastTransport<TlsStream>(std::move(url), options, std::move(tls)));
}

core::Result<std::unique_ptr<HttpTransport>> OpenBeastTransport(std::string_view url,
                                                                std::chrono::milliseconds timeout) {
  EndpointOptions options;
  options.url = std::string(url);
  options.timeout = timeout;
  return OpenBeastTransport(options);
}

}  // namespace chainflow::ingest::evm
