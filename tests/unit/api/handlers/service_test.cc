// ApiService end to end over HTTP, without PostgreSQL: input validation
// answers before any query, and a database that cannot be reached is a 503.
#include "api/handlers/service.h"

#include <gtest/gtest.h>

#include "tests/unit/api/handlers/fake_status_source.h"
#include "tests/unit/api/support/test_client.h"

namespace chainflow::api::handlers {
namespace {

using api::testing::HttpResult;
using api::testing::TestClient;

constexpr char kContract[] = "0x00000000000000000000000000000000000000aa";
constexpr char kOwner[] = "0x00000000000000000000000000000000000000bb";

class ApiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::Config config;
    config.postgres.url = "postgresql://chainflow@127.0.0.1:1/chainflow";  // nothing listens
    config.postgres.pool_size = 2;
    config.chains.push_back(core::ChainConfig{.name = "anvil"});
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto service = ApiService::Open(config, status_, options);
    ASSERT_TRUE(service.has_value()) << service.error().ToString();
    service_ = std::move(service).value();
    ASSERT_TRUE(service_->Start().ok());
    client_ = std::make_unique<TestClient>(service_->port());
  }

  // Expects a 400 whose message names `field`.
  void ExpectBadField(const std::string& target, const std::string& field) {
    HttpResult r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    auto error = r.Json().at("error");
    EXPECT_EQ(error.at("code").as_string(), "invalid_argument");
    EXPECT_EQ(std::string(error.at("message").as_string()).rfind(field + ": ", 0), 0u)
        << r.body;
  }

  testing::FakeStatusSource status_;
  std::unique_ptr<ApiService> service_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(ApiServiceTest, ValidatesNftLookup) {
  ExpectBadField(std::string("/v1/nfts/eth/") + kContract + "/1", "chain");
  ExpectBadField("/v1/nfts/anvil/0x1234/1", "contract");
  ExpectBadField(std::string("/v1/nfts/anvil/") + kContract + "/-1", "token_id");
  ExpectBadField(
      std::string("/v1/nfts/anvil/") + kContract +
          "/115792089237316195423570985008687907853269984665640564039457584007913129639936",
      "token_id");
}

TEST_F(ApiServiceTest, ValidatesOwnerListing) {
  std::string base = std::string("/v1/owners/") + kOwner + "/nfts";
  ExpectBadField("/v1/owners/0xnope/nfts", "address");
  ExpectBadField(base + "?chain=eth", "chain");
  ExpectBadField(base + "?contract=zz", "contract");
  ExpectBadField(base + "?limit=1001", "limit");
  ExpectBadField(base + "?limit=0", "limit");
  ExpectBadField(base + "?limit=-3", "limit");
  ExpectBadField(base + "?cursor=AAAA", "cursor");
}

TEST_F(ApiServiceTest, DatabaseDownIs503) {
  HttpResult r = client_->Get(std::string("/v1/nfts/anvil/") + kContract + "/1");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.Json().at("error").at("code").as_string(), "unavailable");
  r = client_->Get(std::string("/v1/owners/") + kOwner + "/nfts");
  EXPECT_EQ(r.status, 503) << r.body;
}

TEST_F(ApiServiceTest, HealthReadinessStatusMetrics) {
  EXPECT_EQ(client_->Get("/healthz").body, R"({"status":"ok"})");
  PipelineStatus status;
  status.ready = false;
  status.not_ready_reason = "catching up";
  status_.Set(status);
  HttpResult r = client_->Get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Json().at("reason").as_string(), "catching up");
  status.ready = true;
  status_.Set(status);
  EXPECT_EQ(client_->Get("/readyz").status, 200);
  r = client_->Get("/v1/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("ready").as_bool(), true);
  r = client_->Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("chainflow_api_requests_total{method=\"GET\",route=\"/readyz\""),
            std::string::npos);
  EXPECT_EQ(client_->Get("/v1/nope").status, 404);
  EXPECT_EQ(client_->Send("POST", "/healthz").status, 405);
}

TEST_F(ApiServiceTest, StopIsIdempotent) {
  service_->Stop();
  service_->Stop();
}

TEST(ApiServiceOpenTest, RejectsBadSettings) {
  testing::FakeStatusSource status;
  core::Config config;
  config.api.listen = "no-port";
  EXPECT_EQ(ApiService::Open(config, status).error().code(), core::StatusCode::kInvalidArgument);
  config.api.listen = "127.0.0.1:0";
  config.postgres.pool_size = 0;
  EXPECT_EQ(ApiService::Open(config, status).error().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace chainflow::api::handlers
