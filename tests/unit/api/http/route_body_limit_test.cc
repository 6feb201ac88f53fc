// Router::Post(pattern, limit, handler): the route's own body limit, which
// the server applies once the header is read (413 before the body).
#include <gtest/gtest.h>

#include "api/http/router.h"
#include "api/http/server.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::api::http {
namespace {

using testing::HttpResult;
using testing::TestClient;

Response Size(const Request& r) {
  return JsonResponse(200, boost::json::object{{"size", r.body.size()}});
}

TEST(RouteBodyLimitTest, RouterReportsTheMatchedRoutesLimit) {
  Router router;
  router.Post("/small/{id}", 100, Size);
  router.Post("/big", Size);
  EXPECT_EQ(router.BodyLimit("POST", "/small/7"), std::optional<size_t>(100));
  EXPECT_EQ(router.BodyLimit("POST", "/small/7?x=1"), std::optional<size_t>(100));
  EXPECT_EQ(router.BodyLimit("POST", "/big"), std::nullopt);
  EXPECT_EQ(router.BodyLimit("GET", "/small/7"), std::nullopt);   // no such route
  EXPECT_EQ(router.BodyLimit("POST", "/nowhere"), std::nullopt);
  EXPECT_EQ(router.BodyLimit("POST", "not a target"), std::nullopt);
}

class RouteBodyLimitServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Post("/small", 100, Size);
    router_.Post("/big", Size);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto server = Server::Open(options, router_);
    ASSERT_TRUE(server) << server.error().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->Start().ok());
  }

  Router router_;
  std::unique_ptr<Server> server_;
};

TEST_F(RouteBodyLimitServerTest, BodiesUpToTheLimitPass) {
  TestClient client(server_->port());
  HttpResult r = client.Send("POST", "/small", std::string(100, 'x'));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("size").as_int64(), 100);
  r = client.Send("POST", "/big", std::string(5000, 'x'));  // the server's 1 MiB applies
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(RouteBodyLimitServerTest, ContentLengthOverTheLimitIs413BeforeTheBody) {
  TestClient client(server_->port());
  // Only the header is sent: the answer cannot depend on reading the body.
  HttpResult r =
      client.SendRaw("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.Json().at("error").at("message").as_string(), "request body exceeds 100 bytes");
  EXPECT_FALSE(r.keep_alive);
}

TEST_F(RouteBodyLimitServerTest, ChunkedBodyOverTheLimitIs413) {
  TestClient client(server_->port());
  std::string raw = "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  raw += "40\r\n" + std::string(64, 'x') + "\r\n";
  raw += "40\r\n" + std::string(64, 'x') + "\r\n0\r\n\r\n";
  HttpResult r = client.SendRaw(raw);
  EXPECT_EQ(r.status, 413) << r.body;
}

}  // namespace
}  // namespace chainflow::api::http
