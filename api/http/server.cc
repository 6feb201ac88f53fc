#include "api/http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "engine/core/check.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"

namespace chainflow::api::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> Log() {
  static const auto logger = core::Logger("api.http");
  return logger;
}

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

core::Result<HostPort> SplitListen(std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return core::InvalidArgumentError(
        fmt::format("api.listen: '{}' is not host:port", listen));
  }
  HostPort out;
  out.host = std::string(listen.substr(0, colon));
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);  // "[::1]"
  }
  std::string_view port = listen.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return core::InvalidArgumentError(
        fmt::format("api.listen: '{}' has no valid port", listen));
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

core::Result<tcp::endpoint> ResolveListen(std::string_view listen) {
  ASSIGN_OR_RETURN(HostPort hp, SplitListen(listen));
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(hp.host, ec);
  if (!ec) return tcp::endpoint(address, hp.port);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(hp.host, std::to_string(hp.port), ec);
  if (ec || results.empty()) {
    return core::InvalidArgumentError(
        fmt::format("api.listen: cannot resolve '{}': {}", hp.host, ec.message()));
  }
  return results.begin()->endpoint();
}

// A bounded label value for the method (clients can send any token).
std::string MethodLabel(const bhttp::request<bhttp::string_body>& req) {
  if (req.method() == bhttp::verb::unknown) return "other";
  return std::string(req.method_string());
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class Session;

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, const Router& router)
      : options_(std::move(options)), router_(router), acceptor_(net::make_strand(ioc_)) {}

  core::Status Listen(const tcp::endpoint& endpoint);
  core::Status Start();
  void Stop();
  uint16_t port() const { return port_; }

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Called by a session when it is destroyed.
  void Unregister(Session* session) {
    std::lock_guard lock(mu_);
    sessions_.erase(session);
  }

  // Counts and times one response.
  void Record(const std::string& route, const std::string& method, int status, double seconds);

 private:
  enum class State { kOpened, kRunning, kStopped };

  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void RunThread();

  const ServerOptions options_;
  const Router& router_;
  uint16_t port_ = 0;
  State state_ = State::kOpened;
  std::atomic<bool> stopping_{false};

  // Declared before ioc_: sessions destroyed with the io_context unregister.
  std::mutex mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by mu_
  int running_threads_ = 0;                                         // guarded by mu_
  std::condition_variable threads_done_;

  net::io_context ioc_;
  tcp::acceptor acceptor_;  // on a strand: accepts and Stop()'s close never race
  std::vector<std::thread> threads_;
};

namespace {

// One client connection: read a request, dispatch it, write the response,
// repeat while keep-alive. All of its handlers run on its socket's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server)
      : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = fmt::format("{}:{}", remote.address().to_string(), remote.port());
  }
  ~Session() { server_.Unregister(this); }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  // Posted by Server::Stop(): an idle connection closes now; one that is
  // writing closes after its response.
  void OnStop() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  void DoRead();
  void OnHeader(beast::error_code ec, size_t bytes);
  void OnRead(beast::error_code ec, size_t bytes);
  // Answers (or just closes on) a failed read.
  void OnReadError(beast::error_code ec);
  void SendTooLarge(size_t limit);
  void Handle();
  // Sends an error produced before routing (bad request, too large) and closes.
  void SendProtocolError(int status, std::string_view code, std::string_view message);
  void Send(const Response& response, unsigned version, bool keep_alive,
            const std::string& route, const std::string& method, Clock::time_point start,
            bool linger);
  void OnWrite(bool keep_alive, bool linger, beast::error_code ec, size_t bytes);
  void CloseSend(bool linger);
  void Linger();

  Server::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::string remote_ = "?";
  bool reading_ = false;
  std::array<char, 4096> drain_{};
  size_t drained_ = 0;
};

void Session::DoRead() {
  if (server_.stopping()) return CloseSend(false);
  parser_.emplace();
  parser_->body_limit(server_.options().body_limit);
  parser_->header_limit(static_cast<uint32_t>(server_.options().header_limit));
  stream_.expires_after(server_.options().read_timeout);
  reading_ = true;
  // The header first: the route may have a smaller body limit than the
  // server's, and an oversized body is refused before it is received.
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
}

void Session::OnHeader(beast::error_code ec, size_t /*bytes*/) {
  if (ec) {
    reading_ = false;
    return OnReadError(ec);
  }
  const auto& req = parser_->get();
  size_t limit = server_.options().body_limit;
  if (auto route_limit = server_.router().BodyLimit(req.method_string(), req.target())) {
    limit = std::min(limit, *route_limit);
  }
  // Beast checks Content-Length against the limit only while parsing the
  // header (which ran with the server's limit), so the route's is checked here.
  if (auto length = parser_->content_length(); length && *length > limit) {
    reading_ = false;
    return SendTooLarge(limit);
  }
  parser_->body_limit(limit);  // what is left to read, for chunked bodies
  if (parser_->is_done()) {
    reading_ = false;
    return Handle();
  }
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, size_t /*bytes*/) {
  reading_ = false;
  if (!ec) return Handle();
  OnReadError(ec);
}

void Session::SendTooLarge(size_t limit) {
  SendProtocolError(413, "payload_too_large",
                    fmt::format("request body exceeds {} bytes", limit));
}

void Session::OnReadError(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    // A chunked body over the route's limit, or a Content-Length over the
    // server's (caught while the header was parsed).
    size_t limit = server_.options().body_limit;
    if (parser_->is_header_done()) {
      const auto& req = parser_->get();
      if (auto route_limit = server_.router().BodyLimit(req.method_string(), req.target())) {
        limit = std::min(limit, *route_limit);
      }
    }
    return SendTooLarge(limit);
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return SendProtocolError(431, "request_header_fields_too_large",
                             "request header fields too large");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return SendProtocolError(400, "bad_request", "malformed HTTP request");
  }
  // end of stream, timeout, reset, Stop(): nothing to answer.
  if (ec != bhttp::error::end_of_stream && ec != net::error::operation_aborted) {
    Log()->debug("{}: connection closed: {}", remote_, ec.message());
  }
  CloseSend(false);
}

void Session::Handle() {
  Clock::time_point start = Clock::now();
  bhttp::request<bhttp::string_body>& req = parser_->get();
  Request request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  for (const auto& field : req) {
    request.headers[Lower(field.name_string())] = std::string(field.value());
  }
  request.body = std::move(req.body());
  Response response = server_.router().Dispatch(request);
  bool keep_alive = req.keep_alive() && !server_.stopping();
  Send(response, req.version(), keep_alive, request.route.empty() ? "unmatched" : request.route,
       MethodLabel(req), start, false);
  Log()->debug("{} {} {} -> {} ({} bytes)", remote_, request.method, request.target,
               response.status, response.body.size());
}

void Session::SendProtocolError(int status, std::string_view code, std::string_view message) {
  Log()->debug("{}: {} {}", remote_, status, message);
  Send(ErrorResponse(status, code, message), 11, false, "unmatched", "other", Clock::now(), true);
}

void Session::Send(const Response& response, unsigned version, bool keep_alive,
                   const std::string& route, const std::string& method, Clock::time_point start,
                   bool linger) {
  response_.emplace(static_cast<bhttp::status>(response.status), version);
  response_->set(bhttp::field::server, "chainflow");
  response_->set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) response_->set(name, value);
  response_->body() = response.body;
  response_->keep_alive(keep_alive);
  response_->prepare_payload();
  server_.Record(route, method, response.status,
                 std::chrono::duration<double>(Clock::now() - start).count());
  stream_.expires_after(server_.options().write_timeout);
  bhttp::async_write(stream_, *response_,
                     beast::bind_front_handler(&Session::OnWrite, shared_from_this(), keep_alive,
                                               linger));
}

void Session::OnWrite(bool keep_alive, bool linger, beast::error_code ec, size_t /*bytes*/) {
  response_.reset();
  if (ec) {
    Log()->debug("{}: write failed: {}", remote_, ec.message());
    return;  // the session ends; the socket closes with it
  }
  if (!keep_alive) return CloseSend(linger);
  DoRead();
}

void Session::CloseSend(bool linger) {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  // After an early error response the client may still be sending; reading
  // what it sends for a moment keeps the kernel from resetting the
  // connection before the client has read our response.
  if (linger && !ec) Linger();
}

void Session::Linger() {
  constexpr size_t kMaxDrain = 4 << 20;
  stream_.expires_after(std::chrono::seconds(1));
  stream_.async_read_some(
      net::buffer(drain_), [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->drained_ += n;
        if (!ec && self->drained_ < kMaxDrain) self->Linger();
      });
}

}  // namespace

core::Status Server::Impl::Listen(const tcp::endpoint& endpoint) {
  beast::error_code ec;
  auto fail = [&](std::string_view what) {
    return core::UnavailableError(fmt::format("api: cannot {} {}:{}: {}", what,
                                              endpoint.address().to_string(), endpoint.port(),
                                              ec.message()));
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  port_ = acceptor_.local_endpoint(ec).port();
  if (ec) return fail("read the port of");
  return core::Status::Ok();
}

core::Status Server::Impl::Start() {
  if (state_ == State::kRunning) return core::Status::Ok();
  if (state_ == State::kStopped) return core::FailedPreconditionError("api server was stopped");
  state_ = State::kRunning;
  DoAccept();
  {
    std::lock_guard lock(mu_);
    running_threads_ = options_.threads;
  }
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { RunThread(); });
  Log()->info("listening on port {} with {} threads", port_, options_.threads);
  return core::Status::Ok();
}

void Server::Impl::RunThread() {
  try {
    ioc_.run();
  } catch (const std::exception& e) {
    Log()->error("api server thread failed: {}", e.what());
  }
  std::lock_guard lock(mu_);
  --running_threads_;
  threads_done_.notify_all();
}

void Server::Impl::DoAccept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&Impl::OnAccept, this));
}

void Server::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (ec) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    Log()->warn("accept failed: {}", ec.message());  // e.g. EMFILE; keep accepting
    return DoAccept();
  }
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    if (stopping()) return;  // `socket` closes as it goes out of scope
    session = std::make_shared<Session>(std::move(socket), *this);
    sessions_.emplace(session.get(), session);
  }
  session->Run();
  DoAccept();
}

void Server::Impl::Stop() {
  if (state_ == State::kStopped) return;
  bool was_running = state_ == State::kRunning;
  state_ = State::kStopped;
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_release);
    for (auto& [ptr, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  if (!was_running) {
    beast::error_code ec;
    acceptor_.close(ec);
    return;
  }
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  for (auto& session : live) session->OnStop();
  live.clear();  // the io threads must be able to drop the last references
  {
    std::unique_lock lock(mu_);
    if (!threads_done_.wait_for(lock, options_.stop_grace,
                                [this] { return running_threads_ == 0; })) {
      Log()->warn("requests still running after {} ms; cutting them off",
                  options_.stop_grace.count());
      ioc_.stop();
    }
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  Log()->info("stopped");
}

void Server::Impl::Record(const std::string& route, const std::string& method, int status,
                          double seconds) {
  auto& registry = core::MetricsRegistry::Global();
  registry
      .GetCounter("chainflow_api_requests_total", "HTTP requests answered, by route and status",
                  {{"route", route}, {"method", method}, {"status", std::to_string(status)}})
      .Inc();
  registry
      .GetHistogram("chainflow_api_request_duration_seconds",
                    "Time to handle an HTTP request, by route", {{"route", route}},
                    core::DefaultLatencyBuckets())
      .Observe(seconds);
}

core::Status ValidateServerOptions(const ServerOptions& options) {
  if (auto listen = SplitListen(options.listen); !listen) return listen.error();
  if (options.threads < 1 || options.threads > 256) {
    return core::InvalidArgumentError(
        fmt::format("api.threads: {} is not in [1, 256]", options.threads));
  }
  if (options.body_limit == 0 || options.header_limit == 0) {
    return core::InvalidArgumentError("api: body and header limits must be positive");
  }
  if (options.read_timeout.count() <= 0 || options.write_timeout.count() <= 0) {
    return core::InvalidArgumentError("api: timeouts must be positive");
  }
  return core::Status::Ok();
}

core::Result<std::unique_ptr<Server>> Server::Open(const ServerOptions& options,
                                                   const Router& router) {
  RETURN_IF_ERROR(ValidateServerOptions(options));
  ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListen(options.listen));
  auto impl = std::make_unique<Impl>(options, router);
  RETURN_IF_ERROR(impl->Listen(endpoint));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

core::Status Server::Start() { return impl_->Start(); }

void Server::Stop() { impl_->Stop(); }

uint16_t Server::port() const { return impl_->port(); }

}  // namespace chainflow::api::http
