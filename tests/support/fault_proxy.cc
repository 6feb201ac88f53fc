#include "tests/support/fault_proxy.h"

#include <sys/socket.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <zlib.h>

namespace chainflow::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::ip::tcp;

// `text` as one gzip member (zlib's deflate with the gzip wrapper).
std::string GzipCompress(const std::string& text) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

uint64_t HexQuantity(const json::value& v) {
  if (!v.is_string()) return 0;
  std::string text(v.as_string());
  return std::stoull(text, nullptr, 16);
}

// The block span of an eth_getLogs request body, or 0 if it is not one
// (batches, other methods, block-hash filters). Sets *id to the request id.
uint64_t LogRangeOf(const std::string& body, json::value* id, uint64_t* from) {
  boost::system::error_code ec;
  json::value request = json::parse(body, ec);
  if (ec || !request.is_object()) return 0;
  const json::object& o = request.as_object();
  if (o.contains("id")) *id = o.at("id");
  if (!o.contains("method") || o.at("method") != "eth_getLogs") return 0;
  const json::value& params = o.at("params");
  if (!params.is_array() || params.as_array().empty()) return 0;
  const json::value& filter = params.as_array()[0];
  if (!filter.is_object() || !filter.as_object().contains("fromBlock") ||
      !filter.as_object().contains("toBlock")) {
    return 0;
  }
  *from = HexQuantity(filter.as_object().at("fromBlock"));
  uint64_t to = HexQuantity(filter.as_object().at("toBlock"));
  return to >= *from ? to - *from + 1 : 0;
}

// A refusal worded like provider `style` (0..3).
std::string RefusalBody(int style, const json::value& id, uint64_t from, uint64_t max_range) {
  int64_t code = -32000;
  std::string message;
  switch (style % 4) {
    case 0:  // Alchemy: names a range that will work
      code = -32602;
      message = fmt::format(
          "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
          "range and no limit on the response size, or you can request any block range with a "
          "cap of 10K logs in the response. Based on your parameters, this block range should "
          "work: [0x{:x}, 0x{:x}]",
          from, from + max_range - 1);
      break;
    case 1:  // Infura, geth
      code = -32005;
      message = "query returned more than 10000 results";
      break;
    case 2:
      message = "block range is too wide";
      break;
    default:
      message = fmt::format("exceed maximum block range: {}", max_range);
      break;
  }
  json::object error{{"code", code}, {"message", message}};
  json::object response{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
  return json::serialize(response);
}

}  // namespace

FaultProxy::FaultProxy(std::string upstream_host, uint16_t upstream_port, FaultPlan plan)
    : upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      plan_(plan),
      acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      rng_(plan.seed) {
  port_ = acceptor_.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { Accept(); });
}

FaultProxy::~FaultProxy() { Stop(); }

std::string FaultProxy::url() const { return fmt::format("http://127.0.0.1:{}", port_); }

void FaultProxy::Stop() {
  if (stop_.exchange(true)) return;
  {
    beast::error_code ec;
    asio::io_context wake_ioc;
    tcp::socket wake(wake_ioc);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);  // unblocks accept
  }
  acceptor_thread_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    // Unblocks reads in the connection threads; each closes its own socket.
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

FaultProxy::Fault FaultProxy::Draw() {
  std::lock_guard lock(mu_);
  double r = std::uniform_real_distribution<double>(0, 1)(rng_);
  if ((r -= plan_.drop) < 0) return Fault::kDrop;
  if ((r -= plan_.http_429) < 0) return Fault::k429;
  if ((r -= plan_.http_500) < 0) return Fault::k500;
  if ((r -= plan_.delay) < 0) return Fault::kDelay;
  return Fault::kNone;
}

void FaultProxy::Accept() {
  while (!stop_) {
    tcp::socket socket(ioc_);
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    if (ec || stop_) return;
    std::lock_guard lock(mu_);
    fds_.insert(socket.native_handle());
    workers_.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
  }
}

void FaultProxy::Serve(tcp::socket socket) {
  int fd = socket.native_handle();
  asio::io_context upstream_ioc;
  beast::tcp_stream upstream(upstream_ioc);
  bool upstream_open = false;
  beast::flat_buffer buffer, upstream_buffer;
  beast::error_code ec;
  while (!stop_) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) break;
    ++counts_.requests;
    Fault fault = Draw();
    if (fault == Fault::kDrop) {
      ++counts_.dropped;
      break;
    }
    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(true);
    json::value id = nullptr;
    uint64_t from = 0;
    uint64_t span = LogRangeOf(req.body(), &id, &from);
    if (fault == Fault::k429) {
      ++counts_.too_many;
      res.result(http::status::too_many_requests);
      res.set(http::field::retry_after, "0");
      res.body() = "rate limited by fault proxy";
    } else if (fault == Fault::k500) {
      ++counts_.server_errors;
      res.result(http::status::internal_server_error);
      res.body() = "fault proxy: internal error";
    } else if (plan_.max_log_range > 0 && span > plan_.max_log_range) {
      int style;
      {
        std::lock_guard lock(mu_);
        style = refusals_++;
      }
      ++counts_.refused_ranges;
      res.result(http::status::ok);
      res.set(http::field::content_type, "application/json");
      res.body() = RefusalBody(style, id, from, plan_.max_log_range);
    } else {
      if (fault == Fault::kDelay) {
        ++counts_.delayed;
        std::this_thread::sleep_for(plan_.delay_by);
      }
      // Forward on the upstream keep-alive connection (one fresh try).
      http::response<http::string_body> up;
      for (int attempt = 0; attempt < 2; ++attempt) {
        if (!upstream_open) {
          upstream.expires_after(std::chrono::seconds(30));
          upstream.connect(tcp::endpoint(asio::ip::make_address(upstream_host_), upstream_port_),
                           ec);
          if (ec) break;
          upstream_open = true;
        }
        req.keep_alive(true);
        upstream.expires_after(std::chrono::seconds(60));
        http::write(upstream, req, ec);
        if (!ec) http::read(upstream, upstream_buffer, up, ec);
        if (!ec) break;
        upstream.close();
        upstream_open = false;
        upstream_buffer.clear();
        up = {};
      }
      if (ec) break;  // the upstream is gone: drop the client too
      ++counts_.forwarded;
      res.result(up.result());
      res.set(http::field::content_type, "application/json");
      res.body() = std::move(up.body());
      auto accepts = req.find(http::field::accept_encoding);
      if (plan_.gzip && accepts != req.end() &&
          accepts->value().find("gzip") != std::string_view::npos) {
        res.body() = GzipCompress(res.body());
        res.set(http::field::content_encoding, "gzip");
        ++counts_.gzipped;
      }
    }
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec) break;
  }
  {
    std::lock_guard lock(mu_);
    fds_.erase(fd);
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace chainflow::testing
