#include "ingest/evm/http_transport.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace chainflow::ingest::evm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct ParsedUrl {
  std::string host;
  std::string port;
  std::string target;
};

core::Result<ParsedUrl> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return core::InvalidArgumentError(
        fmt::format("rpc url \"{}\": only http:// is supported", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ParsedUrl parsed;
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    parsed.host = std::string(authority.substr(0, colon));
    parsed.port = std::string(authority.substr(colon + 1));
  } else {
    parsed.host = std::string(authority);
    parsed.port = "80";
  }
  if (parsed.host.empty() || parsed.port.empty()) {
    return core::InvalidArgumentError(fmt::format("rpc url \"{}\": no host or port", url));
  }
  return parsed;
}

core::Status TransportError(const beast::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) {
    return core::DeadlineExceededError(fmt::format("{} timed out", what));
  }
  return core::UnavailableError(fmt::format("{}: {}", what, ec.message()));
}

class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(ParsedUrl url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout) {}
  ~BeastTransport() override { Close(); }

  core::Result<HttpReply> Post(const std::string& body) override {
    bool reused = connected_;
    if (!connected_) RETURN_IF_ERROR(Connect());
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
  // Runs the queued async operations to completion (the stream's expiry
  // bounds each).
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  core::Status Connect() {
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(ioc_);
    asio::ip::tcp::resolver::results_type endpoints;
    resolver.async_resolve(url_.host, url_.port,
                           [&](beast::error_code e, asio::ip::tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    Run();
    if (ec) return TransportError(ec, fmt::format("resolve {}", url_.host));
    stream_.expires_after(timeout_);
    stream_.async_connect(endpoints, [&](beast::error_code e, auto) { ec = e; });
    Run();
    if (ec) return TransportError(ec, fmt::format("connect {}:{}", url_.host, url_.port));
    connected_ = true;
    buffer_.clear();
    return core::Status::Ok();
  }

  void Close() {
    if (!connected_) return;
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
  }

  core::Result<HttpReply> Exchange(const std::string& body) {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    stream_.expires_after(timeout_);  // write and read together
    http::async_write(stream_, req, [&](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return TransportError(ec, "write");
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return TransportError(ec, "read");
    auto& res = parser.get();
    HttpReply reply;
    reply.status = res.result_int();
    auto retry_after = res.find(http::field::retry_after);
    if (retry_after != res.end()) reply.retry_after = std::string(retry_after->value());
    if (!res.keep_alive()) Close();
    reply.body = std::move(res.body());
    return reply;
  }

  ParsedUrl url_;
  std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace

core::Result<std::unique_ptr<HttpTransport>> OpenBeastTransport(std::string_view url,
                                                                std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(ParsedUrl parsed, ParseUrl(url));
  return std::unique_ptr<HttpTransport>(new BeastTransport(std::move(parsed), timeout));
}

}  // namespace chainflow::ingest::evm
