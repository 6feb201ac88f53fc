#include "api/http/message.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace chainflow::api::http {
namespace {

TEST(HttpStatusForTest, MapsCanonicalCodes) {
  using core::StatusCode;
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kOutOfRange), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnknown), 500);
}

TEST(ErrorCodeStringTest, IsSnakeCase) {
  EXPECT_EQ(ErrorCodeString(core::StatusCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(ErrorCodeString(core::StatusCode::kNotFound), "not_found");
  EXPECT_EQ(ErrorCodeString(core::StatusCode::kUnavailable), "unavailable");
  EXPECT_EQ(ErrorCodeString(core::StatusCode::kResourceExhausted), "resource_exhausted");
  EXPECT_EQ(ErrorCodeString(core::StatusCode::kOk), "ok");
}

TEST(ErrorResponseTest, RendersErrorObject) {
  Response r = ErrorResponse(core::NotFoundError("no \"token\" here"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  boost::json::value v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(v.at("error").at("message").as_string(), "no \"token\" here");
  EXPECT_EQ(v.as_object().size(), 1u);
}

TEST(ErrorResponseTest, ExplicitStatus) {
  Response r = ErrorResponse(413, "payload_too_large", "too big");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error":{"code":"payload_too_large","message":"too big"}})");
}

TEST(RequestTest, Accessors) {
  Request r;
  r.path_params["chain"] = "anvil";
  r.query_params = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  r.headers["content-type"] = "text/plain";
  EXPECT_EQ(r.PathParam("chain"), "anvil");
  EXPECT_EQ(r.PathParam("nope"), "");
  EXPECT_EQ(r.QueryParam("a"), "3");
  EXPECT_EQ(r.QueryParam("c"), std::nullopt);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
}

}  // namespace
}  // namespace chainflow::api::http
