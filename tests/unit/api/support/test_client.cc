#include "tests/unit/api/support/test_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

namespace chainflow::api::testing {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

boost::json::value HttpResult::Json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return v;
}

std::string HttpResult::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

class TestClient::Impl {
 public:
  explicit Impl(uint16_t port) : port_(port) {}

  bool Connect() {
    if (socket_ && socket_->is_open()) return true;
    socket_.emplace(ioc_);
    buffer_.clear();
    beast::error_code ec;
    socket_->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
    if (ec) {
      socket_.reset();
      return false;
    }
    timeval tv{10, 0};
    setsockopt(socket_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket_->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ++connects_;
    return true;
  }

  HttpResult Read() {
    HttpResult out;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    bhttp::read(*socket_, buffer_, parser, ec);
    if (ec) {
      socket_.reset();
      out.body = "read failed: " + ec.message();
      return out;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    out.keep_alive = res.keep_alive();
    for (const auto& field : res) {
      out.headers[Lower(std::string(field.name_string()))] = std::string(field.value());
    }
    if (!out.keep_alive) socket_.reset();
    return out;
  }

  HttpResult Send(const std::string& method, const std::string& target, const std::string& body,
                  const std::vector<std::pair<std::string, std::string>>& headers) {
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    if (req.method() == bhttp::verb::unknown) req.method_string(method);
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!Connect()) return Failed("connect failed");
      beast::error_code ec;
      bhttp::write(*socket_, req, ec);
      if (ec) {
        socket_.reset();
        continue;  // the server may have closed an idle connection: retry once
      }
      return Read();
    }
    return Failed("write failed");
  }

  HttpResult SendRaw(const std::string& bytes) {
    if (!Connect()) return Failed("connect failed");
    beast::error_code ec;
    net::write(*socket_, net::buffer(bytes), ec);
    if (ec) {
      socket_.reset();
      return Failed("write failed: " + ec.message());
    }
    return Read();
  }

  bool WaitForClose() {
    if (!socket_) return true;
    char scratch[4096];
    while (true) {
      beast::error_code ec;
      socket_->read_some(net::buffer(scratch), ec);
      if (ec == net::error::eof || ec == net::error::connection_reset) {
        socket_.reset();
        return true;
      }
      if (ec) return false;  // includes the 10 s receive timeout
    }
  }

  int connects() const { return connects_; }

 private:
  static HttpResult Failed(std::string why) {
    HttpResult out;
    out.body = std::move(why);
    return out;
  }

  uint16_t port_;
  net::io_context ioc_;
  std::optional<tcp::socket> socket_;
  beast::flat_buffer buffer_;
  int connects_ = 0;
};

TestClient::TestClient(uint16_t port) : impl_(std::make_unique<Impl>(port)) {}
TestClient::~TestClient() = default;

HttpResult TestClient::Get(const std::string& target) { return Send("GET", target); }

HttpResult TestClient::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
  return impl_->Send(method, target, body, headers);
}

HttpResult TestClient::SendRaw(const std::string& bytes) { return impl_->SendRaw(bytes); }
bool TestClient::Connect() { return impl_->Connect(); }
bool TestClient::WaitForClose() { return impl_->WaitForClose(); }
int TestClient::connects() const { return impl_->connects(); }

}  // namespace chainflow::api::testing
