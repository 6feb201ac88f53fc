#include "api/http/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace chainflow::api::http {
namespace {

// A handler that echoes what the router gave it.
Response Echo(const Request& request) {
  boost::json::object params;
  for (const auto& [k, v] : request.path_params) params[k] = v;
  boost::json::object query;
  for (const auto& [k, v] : request.query_params) query[k] = v;
  return JsonResponse(200, boost::json::object{{"route", request.route},
                                               {"params", params},
                                               {"query", query}});
}

Response Dispatch(const Router& router, std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  return router.Dispatch(request);
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Get("/v1/nfts/{chain}/{contract}/{token_id}", Echo);
    router_.Get("/v1/owners/{address}/nfts", Echo);
    router_.Get("/v1/intents/{id}", Echo);
    router_.Get("/v1/intents/search", Echo);
    router_.Post("/v1/intents", Echo);
    router_.Get("/healthz", Echo);
  }
  Router router_;
};

TEST_F(RouterTest, MatchesParams) {
  Response r = Dispatch(router_, "GET", "/v1/nfts/anvil/0xAbC/42");
  ASSERT_EQ(r.status, 200);
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("route").as_string(), "/v1/nfts/{chain}/{contract}/{token_id}");
  EXPECT_EQ(v.at("params").at("chain").as_string(), "anvil");
  EXPECT_EQ(v.at("params").at("contract").as_string(), "0xAbC");
  EXPECT_EQ(v.at("params").at("token_id").as_string(), "42");
}

TEST_F(RouterTest, DecodesPathAndQuery) {
  Response r = Dispatch(router_, "GET", "/v1/owners/a%20b%2Fc/nfts?chain=an%76il&x=1+2&y=%2B&flag");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("params").at("address").as_string(), "a b/c");  // %2F stays inside the segment
  EXPECT_EQ(v.at("query").at("chain").as_string(), "anvil");
  EXPECT_EQ(v.at("query").at("x").as_string(), "1 2");
  EXPECT_EQ(v.at("query").at("y").as_string(), "+");
  EXPECT_EQ(v.at("query").at("flag").as_string(), "");
}

TEST_F(RouterTest, LiteralBeatsParam) {
  auto v = boost::json::parse(Dispatch(router_, "GET", "/v1/intents/search").body);
  EXPECT_EQ(v.at("route").as_string(), "/v1/intents/search");
  v = boost::json::parse(Dispatch(router_, "GET", "/v1/intents/abc").body);
  EXPECT_EQ(v.at("route").as_string(), "/v1/intents/{id}");
}

TEST_F(RouterTest, UnknownPathIs404Json) {
  for (const char* target : {"/nope", "/v1/nfts/anvil/0x1", "/v1/nfts/anvil/0x1/2/3",
                             "/healthz/", "/v1/owners//nfts", "/"}) {
    Response r = Dispatch(router_, "GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "not_found");
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response r = Dispatch(router_, "DELETE", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "method_not_allowed");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET");
  EXPECT_EQ(Dispatch(router_, "GET", "/v1/intents").status, 405);
}

TEST_F(RouterTest, BadTargetIs400) {
  Response r = Dispatch(router_, "GET", "http://example.com/healthz");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Dispatch(router_, "GET", "/healthz?a=%zz").status, 400);
}

TEST_F(RouterTest, ThrowingHandlerIs500) {
  router_.Get("/boom", [](const Request&) -> Response { throw std::runtime_error("bug"); });
  Response r = Dispatch(router_, "GET", "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "internal");
}

TEST(ParseTargetTest, SplitsSegments) {
  Request r;
  ASSERT_TRUE(ParseTarget("/a/b%2Fc/", &r).ok());
  EXPECT_EQ(r.path, "/a/b/c/");
  EXPECT_EQ(r.path_segments, (std::vector<std::string>{"a", "b/c", ""}));
  EXPECT_TRUE(r.query_params.empty());
}

TEST(RouterDeathTest, DuplicateRouteChecks) {
  Router router;
  router.Get("/x/{a}", Echo);
  EXPECT_DEATH(router.Get("/x/{a}", Echo), "duplicate route");
  EXPECT_DEATH(router.Get("/x/{}", Echo), "empty parameter");
  EXPECT_DEATH(router.Get("x", Echo), "must start with");
}

}  // namespace
}  // namespace chainflow::api::http
