#include "api/http/server.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "engine/core/metrics.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::api::http {
namespace {

using testing::HttpResult;
using testing::TestClient;

ServerOptions LocalOptions() {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  return options;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Get("/echo/{word}", [](const Request& r) {
      boost::json::object query;
      for (const auto& [k, v] : r.query_params) query[k] = v;
      return JsonResponse(200, boost::json::object{{"word", r.PathParam("word")},
                                                   {"query", query},
                                                   {"ua", r.Header("user-agent").value_or("")}});
    });
    router_.Post("/size", [](const Request& r) {
      return JsonResponse(200, boost::json::object{{"size", r.body.size()}});
    });
    router_.Get("/text", [](const Request&) {
      Response r = TextResponse(200, "hello\n", "text/plain; version=0.0.4");
      r.headers.emplace_back("X-Extra", "1");
      return r;
    });
    router_.Get("/status/{code}", [](const Request& r) {
      return ErrorResponse(core::Status(
          static_cast<core::StatusCode>(std::stoi(r.PathParam("code"))), "because"));
    });
  }

  std::unique_ptr<Server> StartServer(ServerOptions options = LocalOptions()) {
    auto server = Server::Open(options, router_);
    EXPECT_TRUE(server.has_value()) << server.error().ToString();
    if (!server) return nullptr;
    EXPECT_TRUE(server.value()->Start().ok());
    return std::move(server).value();
  }

  Router router_;
};

TEST_F(ServerTest, ServesJsonWithDecodedParams) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(server->port(), 0);
  TestClient client(server->port());
  HttpResult r = client.Send("GET", "/echo/h%C3%A9llo?q=a+b&r=%26", "", {{"User-Agent", "t/1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  auto v = r.Json();
  EXPECT_EQ(v.at("word").as_string(), "h\xc3\xa9llo");
  EXPECT_EQ(v.at("query").at("q").as_string(), "a b");
  EXPECT_EQ(v.at("query").at("r").as_string(), "&");
  EXPECT_EQ(v.at("ua").as_string(), "t/1");
}

TEST_F(ServerTest, ContentTypeAndExtraHeaders) {
  auto server = StartServer();
  TestClient client(server->port());
  HttpResult r = client.Get("/text");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.Header("content-type"), "text/plain; version=0.0.4");
  EXPECT_EQ(r.Header("x-extra"), "1");
}

TEST_F(ServerTest, ErrorsAreJson) {
  auto server = StartServer();
  TestClient client(server->port());
  HttpResult r = client.Get("/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "not_found");
  r = client.Send("PUT", "/text");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET");
  r = client.Get("/status/14");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "unavailable");
  EXPECT_EQ(r.Json().at("error").at("message").as_string(), "because");
  r = client.Get("/status/16");
  EXPECT_EQ(r.status, 401);
  r = client.Get("/status/7");
  EXPECT_EQ(r.status, 403);
  r = client.Get("/status/8");
  EXPECT_EQ(r.status, 429);
}

TEST_F(ServerTest, KeepsConnectionsAlive) {
  auto server = StartServer();
  TestClient client(server->port());
  for (int i = 0; i < 5; ++i) {
    HttpResult r = client.Get("/echo/x" + std::to_string(i));
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(client.connects(), 1);
  // Connection: close is honoured.
  HttpResult r = client.Send("GET", "/echo/y", "", {{"Connection", "close"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.keep_alive);
}

TEST_F(ServerTest, BodyUpToLimitIsAccepted) {
  auto server = StartServer();
  TestClient client(server->port());
  HttpResult r = client.Send("POST", "/size", std::string(1 << 20, 'x'));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("size").as_int64(), 1 << 20);
}

TEST_F(ServerTest, OversizedBodyIs413) {
  auto server = StartServer();
  TestClient client(server->port());
  HttpResult r = client.SendRaw(
      "POST /size HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n" + std::string(1000, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "payload_too_large");
  EXPECT_FALSE(r.keep_alive);
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  auto server = StartServer();
  TestClient client(server->port());
  std::string chunk(512 * 1024, 'x');
  std::string raw = "POST /size HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) raw += "80000\r\n" + chunk + "\r\n";
  raw += "0\r\n\r\n";
  HttpResult r = client.SendRaw(raw);
  EXPECT_EQ(r.status, 413);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  auto server = StartServer();
  TestClient client(server->port());
  HttpResult r = client.SendRaw("GET /echo/x HTTP/1.1\r\nHost x\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "bad_request");
}

TEST_F(ServerTest, HugeHeaderIs431) {
  auto server = StartServer();
  TestClient client(server->port());
  HttpResult r = client.SendRaw("GET /echo/x HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                std::string(32 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.status, 431);
}

TEST_F(ServerTest, IdleConnectionTimesOut) {
  ServerOptions options = LocalOptions();
  options.read_timeout = std::chrono::milliseconds(100);
  auto server = StartServer(options);
  TestClient client(server->port());
  ASSERT_TRUE(client.Connect());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ServerTest, StopIsGracefulAndIdempotent) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  router_.Get("/slow", [&entered, released](const Request&) {
    entered.set_value();
    released.wait();
    return JsonResponse(200, boost::json::object{{"done", true}});
  });
  auto server = StartServer();
  uint16_t port = server->port();
  TestClient idle(port);
  ASSERT_TRUE(idle.Connect());
  auto slow = std::async(std::launch::async, [port] { return TestClient(port).Get("/slow"); });
  entered.get_future().wait();
  std::thread stopper([&] { server->Stop(); });
  EXPECT_TRUE(idle.WaitForClose());  // idle connections close at once
  release.set_value();
  HttpResult r = slow.get();  // the in-flight request still completes
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.keep_alive);
  stopper.join();
  server->Stop();
  EXPECT_EQ(server->Start().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(TestClient(port).Get("/echo/x").status, -1);  // no longer listening
}

TEST_F(ServerTest, StopWithoutStart) {
  auto server = Server::Open(LocalOptions(), router_);
  ASSERT_TRUE(server.has_value());
  server.value()->Stop();
  server.value()->Stop();
}

TEST_F(ServerTest, StartIsIdempotent) {
  auto server = StartServer();
  EXPECT_TRUE(server->Start().ok());
  EXPECT_EQ(TestClient(server->port()).Get("/echo/x").status, 200);
}

TEST_F(ServerTest, OpenValidates) {
  ServerOptions options = LocalOptions();
  options.listen = "nonsense";
  EXPECT_EQ(Server::Open(options, router_).error().code(), core::StatusCode::kInvalidArgument);
  options.listen = "127.0.0.1:99999";
  EXPECT_EQ(Server::Open(options, router_).error().code(), core::StatusCode::kInvalidArgument);
  options = LocalOptions();
  options.threads = 0;
  EXPECT_EQ(Server::Open(options, router_).error().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(ServerTest, PortInUseIsUnavailable) {
  auto first = StartServer();
  ServerOptions options = LocalOptions();
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  auto second = Server::Open(options, router_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), core::StatusCode::kUnavailable);
}

TEST_F(ServerTest, ListensOnNamedHost) {
  ServerOptions options = LocalOptions();
  options.listen = "localhost:0";
  auto server = Server::Open(options, router_);
  ASSERT_TRUE(server.has_value()) << server.error().ToString();
}

TEST_F(ServerTest, CountsRequestsPerRouteAndStatus) {
  auto server = StartServer();
  TestClient client(server->port());
  ASSERT_EQ(client.Get("/echo/m1").status, 200);
  ASSERT_EQ(client.Get("/no/such/thing").status, 404);
  std::string text = core::MetricsRegistry::Global().RenderText();
  EXPECT_NE(
      text.find(R"(chainflow_api_requests_total{method="GET",route="/echo/{word}",status="200"})"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(chainflow_api_requests_total{method="GET",route="unmatched",status="404"})"),
      std::string::npos);
  EXPECT_NE(text.find(R"(chainflow_api_request_duration_seconds_count{route="/echo/{word}"})"),
            std::string::npos);
}

}  // namespace
}  // namespace chainflow::api::http
