#include "api/handlers/status.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "engine/core/metrics.h"
#include "tests/unit/api/handlers/fake_status_source.h"

namespace chainflow::api::handlers {
namespace {

PipelineStatus Sample() {
  PipelineStatus status;
  status.chains.push_back({"anvil", core::BlockNumber(120), core::BlockNumber(118),
                           core::BlockNumber(100), 2, 3, 4, 7,
                           "FailedPrecondition: reorg deeper than the finality window",
                           core::BlockNumber(98)});
  status.chains.push_back({"replay", std::nullopt, std::nullopt, std::nullopt, 0});
  status.consumers.push_back({"processor", "nft_ownership", "cf.anvil.events",
                              core::PartitionId(3), core::Offset(40), core::Offset(45), 5, 2,
                              "host-1a2b3c4d-0", {"host-5e6f7a8b"}});
  status.services.push_back({"kafka", "127.0.0.1:9092", true, ""});
  status.ready = false;
  status.not_ready_reason = "nft_ownership lags 5 records";
  return status;
}

TEST(PipelineStatusToJsonTest, RendersEveryField) {
  EXPECT_EQ(
      boost::json::serialize(PipelineStatusToJson(Sample())),
      R"({"ready":false,"not_ready_reason":"nft_ownership lags 5 records",)"
      R"("services":[{"name":"kafka","endpoint":"127.0.0.1:9092","reachable":true,)"
      R"("error":null}],)"
      R"("chains":[{"name":"anvil","head":120,"ingested_block":118,"finalized_block":100,)"
      R"("lag_blocks":2,"lag_seconds":3,"reorgs":4,"deepest_reorg":7,"decisions_block":98,)"
      R"("error":"FailedPrecondition: reorg deeper than the finality window"},)"
      R"({"name":"replay","head":null,"ingested_block":null,"finalized_block":null,)"
      R"("lag_blocks":0,"lag_seconds":null,"reorgs":0,"deepest_reorg":0,"decisions_block":null,)"
      R"("error":null}],)"
      R"("consumers":[{"kind":"processor","name":"nft_ownership","topic":"cf.anvil.events",)"
      R"("partition":3,"next_offset":40,"end_offset":45,"lag":5,"in_open_transactions":2,)"
      R"("owner":"host-1a2b3c4d-0",)"
      R"("standbys":["host-5e6f7a8b"]}]})");
}

TEST(PipelineStatusToJsonTest, ReadyHasNullReason) {
  PipelineStatus status;
  status.ready = true;
  status.not_ready_reason = "stale";
  EXPECT_EQ(boost::json::serialize(PipelineStatusToJson(status)),
            R"({"ready":true,"not_ready_reason":null,"services":[],"chains":[],"consumers":[]})");
}

TEST(StatusHandlersTest, Status) {
  testing::FakeStatusSource source;
  source.Set(Sample());
  http::Response r = HandleStatus(source);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(boost::json::parse(r.body).at("chains").as_array().size(), 2u);
  source.Set(core::UnavailableError("kafka down"));
  r = HandleStatus(source);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(boost::json::parse(r.body).at("error").at("code").as_string(), "unavailable");
}

TEST(StatusHandlersTest, Readyz) {
  testing::FakeStatusSource source;
  PipelineStatus status = Sample();
  status.ready = true;
  source.Set(status);
  http::Response r = HandleReadyz(source);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ready":true})");

  source.Set(Sample());
  r = HandleReadyz(source);
  EXPECT_EQ(r.status, 503);
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("ready").as_bool(), false);
  EXPECT_EQ(v.at("reason").as_string(), "nft_ownership lags 5 records");
  EXPECT_EQ(v.at("error").at("code").as_string(), "unavailable");

  source.Set(core::InternalError("boom"));
  r = HandleReadyz(source);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(boost::json::parse(r.body).at("reason").as_string().find("boom"), std::string::npos);
}

// A service that cannot be reached is named with its endpoint and error in
// /v1/status and in /readyz's "down" list; the reachable one is left out.
TEST(StatusHandlersTest, ReadyzNamesTheServiceThatIsDown) {
  testing::FakeStatusSource source;
  PipelineStatus status = Sample();
  status.services.push_back({"postgres", "postgresql://***@127.0.0.1:5433/chainflow", false,
                             "Unavailable: cannot connect to PostgreSQL: Connection refused"});
  status.not_ready_reason = "postgres unreachable (postgresql://***@127.0.0.1:5433/chainflow)";
  source.Set(status);

  http::Response r = HandleReadyz(source);
  EXPECT_EQ(r.status, 503);
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("reason").as_string(), status.not_ready_reason);
  ASSERT_EQ(v.at("down").as_array().size(), 1u) << r.body;
  EXPECT_EQ(boost::json::serialize(v.at("down").at(0)),
            R"({"name":"postgres","endpoint":"postgresql://***@127.0.0.1:5433/chainflow",)"
            R"("error":"Unavailable: cannot connect to PostgreSQL: Connection refused"})");

  r = HandleStatus(source);
  EXPECT_EQ(r.status, 200);
  auto services = boost::json::parse(r.body).at("services").as_array();
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services.at(1).at("reachable").as_bool(), false);
  EXPECT_EQ(services.at(1).at("error").as_string(), status.services[1].error);

  // Not ready for another reason with every service up: an empty "down".
  source.Set(Sample());
  EXPECT_TRUE(boost::json::parse(HandleReadyz(source).body).at("down").as_array().empty());
}

TEST(StatusHandlersTest, HealthzAndMetrics) {
  EXPECT_EQ(HandleHealthz().body, R"({"status":"ok"})");
  core::MetricsRegistry::Global().GetCounter("api_status_test_total", "test").Inc();
  http::Response r = HandleMetrics();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("api_status_test_total 1"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace chainflow::api::handlers
