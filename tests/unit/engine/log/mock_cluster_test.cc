// Producer, Consumer and Admin against librdkafka's in-process mock cluster
// (rdkafka_mock.h): a real protocol implementation on loopback sockets inside
// this process, with fault injection.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/core/metrics.h"
#include "engine/log/admin.h"
#include "engine/log/cloud_events.h"
#include "engine/log/consumer.h"
#include "engine/log/producer.h"

namespace chainflow::engine::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Owns a throwaway handle and the mock cluster attached to it.
class MockCluster {
 public:
  MockCluster() {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    mcluster_ = rd_kafka_mock_cluster_new(rk_, 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mcluster_);
    rd_kafka_destroy(rk_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(mcluster_); }
  rd_kafka_mock_cluster_t* get() const { return mcluster_; }
  void CreateTopic(const std::string& name, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(mcluster_, name.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mcluster_ = nullptr;
};

class MockClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { cluster_.CreateTopic("t", 3); }

  std::unique_ptr<Producer> OpenProducer(std::map<std::string, std::string> properties = {}) {
    auto producer =
        Producer::Open({.brokers = cluster_.bootstraps(), .properties = std::move(properties)});
    EXPECT_TRUE(producer.has_value()) << producer.error().ToString();
    return producer.has_value() ? std::move(producer).value() : nullptr;
  }
  std::unique_ptr<Consumer> OpenConsumer(const std::string& group_id = "") {
    auto consumer = Consumer::Open({.brokers = cluster_.bootstraps(), .group_id = group_id});
    EXPECT_TRUE(consumer.has_value()) << consumer.error().ToString();
    return consumer.has_value() ? std::move(consumer).value() : nullptr;
  }
  std::unique_ptr<Admin> OpenAdmin() {
    auto admin = Admin::Open(cluster_.bootstraps());
    EXPECT_TRUE(admin.has_value()) << admin.error().ToString();
    return admin.has_value() ? std::move(admin).value() : nullptr;
  }

  // Assigns every partition of `topics` (name, partition count) from the beginning.
  static bool AssignFromBeginning(Consumer& consumer,
                                  const std::vector<std::pair<std::string, int>>& topics) {
    std::vector<TopicPartitionOffset> from;
    for (const auto& [topic, partitions] : topics) {
      for (int p = 0; p < partitions; ++p) {
        from.push_back({topic, core::PartitionId(p), kOffsetBeginning});
      }
    }
    return consumer.Assign(from).ok();
  }

  // Polls until `count` records arrived or 10 s passed.
  static std::vector<Record> PollN(Consumer& consumer, size_t count) {
    std::vector<Record> all;
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
      auto batch = consumer.Poll(count - all.size(), milliseconds(200));
      EXPECT_TRUE(batch.has_value()) << batch.error().ToString();
      if (!batch.has_value()) break;
      for (Record& r : batch.value()) all.push_back(std::move(r));
    }
    return all;
  }

  MockCluster cluster_;
};

TEST_F(MockClusterTest, ProduceConsumeRoundTripWithHeaders) {
  auto producer = OpenProducer();
  ASSERT_NE(producer, nullptr);
  constexpr int kCount = 300;
  for (int i = 0; i < kCount; ++i) {
    const std::string key = "key-" + std::to_string(i);
    OutRecord out{.topic = "t",
                  .partition = PartitionForKey(key, 3),
                  .key = key,
                  .value = "value-" + std::to_string(i),
                  .headers = CloudEventHeaders({.id = "id-" + std::to_string(i),
                                                .source = "test",
                                                .type = "chainflow.test",
                                                .time_seconds = 1618574400}),
                  .timestamp_ms = 1618574400000 + i};
    ASSERT_TRUE(producer->Send(out).ok());
  }
  ASSERT_EQ(producer->Flush(seconds(10)), core::Status::Ok());

  auto consumer = OpenConsumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(AssignFromBeginning(*consumer, {{"t", 3}}));
  std::vector<Record> records = PollN(*consumer, kCount);
  ASSERT_EQ(records.size(), static_cast<size_t>(kCount));
  std::map<int32_t, int64_t> next_offset;
  for (const Record& r : records) {
    const int i = std::stoi(r.key.substr(4));
    EXPECT_EQ(r.topic, "t");
    EXPECT_EQ(r.partition, PartitionForKey(r.key, 3));
    EXPECT_EQ(r.value, "value-" + std::to_string(i));
    EXPECT_EQ(r.timestamp_ms, 1618574400000 + i);
    ASSERT_NE(r.FindHeader("ce_id"), nullptr);
    EXPECT_EQ(*r.FindHeader("ce_id"), "id-" + std::to_string(i));
    EXPECT_EQ(*r.FindHeader("ce_time"), "2021-04-16T12:00:00Z");
    EXPECT_EQ(r.headers.size(), 6u);
    // Offsets of a partition arrive in order, without gaps.
    EXPECT_EQ(r.offset.value(), next_offset[r.partition.value()]++);
  }
  // Nothing more: an empty poll is not an error.
  auto more = consumer->Poll(10, milliseconds(50));
  ASSERT_TRUE(more.has_value());
  EXPECT_TRUE(more.value().empty());

  auto& metrics = core::MetricsRegistry::Global();
  EXPECT_GE(metrics.GetCounter("chainflow_log_produced_records_total", "", {{"topic", "t"}})
                .Value(),
            static_cast<uint64_t>(kCount));
  EXPECT_GE(metrics.GetCounter("chainflow_log_consumed_records_total", "", {{"topic", "t"}})
                .Value(),
            static_cast<uint64_t>(kCount));
}

// The producer keeps a topic handle per topic: records sent to two topics in
// turn each land on their own.
TEST_F(MockClusterTest, RecordsSentToTwoTopicsInTurnLandOnTheirOwn) {
  cluster_.CreateTopic("u", 2);
  auto producer = OpenProducer();
  ASSERT_NE(producer, nullptr);
  constexpr int kCount = 100;
  for (int i = 0; i < kCount; ++i) {
    const std::string topic = i % 2 == 0 ? "t" : "u";
    const std::string key = topic + "-" + std::to_string(i);
    OutRecord out{.topic = topic,
                  .partition = PartitionForKey(key, topic == "t" ? 3 : 2),
                  .key = key,
                  .value = std::to_string(i)};
    ASSERT_TRUE(producer->Send(out).ok());
  }
  ASSERT_EQ(producer->Flush(seconds(10)), core::Status::Ok());
  auto consumer = OpenConsumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(AssignFromBeginning(*consumer, {{"t", 3}, {"u", 2}}));
  std::vector<Record> records = PollN(*consumer, kCount);
  ASSERT_EQ(records.size(), static_cast<size_t>(kCount));
  std::map<std::string, int> per_topic;
  for (const Record& r : records) {
    EXPECT_EQ(r.key.substr(0, 2), r.topic + "-") << r.key << " on " << r.topic;
    EXPECT_EQ(r.partition, PartitionForKey(r.key, r.topic == "t" ? 3 : 2));
    ++per_topic[r.topic];
  }
  EXPECT_EQ(per_topic["t"], kCount / 2);
  EXPECT_EQ(per_topic["u"], kCount / 2);
}

TEST_F(MockClusterTest, AssignAtExplicitOffsetAndEnd) {
  auto producer = OpenProducer();
  ASSERT_NE(producer, nullptr);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(1),
                                .key = "k", .value = std::to_string(i)})
                    .ok());
  }
  ASSERT_TRUE(producer->Flush(seconds(10)).ok());

  auto consumer = OpenConsumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Assign({{"t", core::PartitionId(1), core::Offset(7)}}).ok());
  std::vector<Record> records = PollN(*consumer, 3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].offset, core::Offset(7));
  EXPECT_EQ(records[0].value, "7");
  EXPECT_EQ(records[2].value, "9");

  // Re-assigning replaces the position.
  ASSERT_TRUE(consumer->Assign({{"t", core::PartitionId(1), kOffsetEnd}}).ok());
  auto none = consumer->Poll(10, milliseconds(500));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none.value().empty());
  ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(1), .value = "new"})
                  .ok());
  ASSERT_TRUE(producer->Flush(seconds(10)).ok());
  records = PollN(*consumer, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value, "new");
  EXPECT_EQ(records[0].offset, core::Offset(10));
  EXPECT_TRUE(records[0].key.empty());
}

TEST_F(MockClusterTest, AdminWatermarksPartitionCountAndLastRecord) {
  auto producer = OpenProducer();
  auto admin = OpenAdmin();
  ASSERT_NE(producer, nullptr);
  ASSERT_NE(admin, nullptr);
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(2),
                                .key = "k" + std::to_string(i), .value = std::to_string(i)})
                    .ok());
  }
  ASSERT_TRUE(producer->Flush(seconds(10)).ok());

  auto count = admin->PartitionCount("t");
  ASSERT_TRUE(count.has_value()) << count.error().ToString();
  EXPECT_EQ(count.value(), 3);
  // (NotFound for a missing topic is tested against the real broker: the
  // 2.0.2 mock creates any topic a metadata request names.)

  auto marks = admin->QueryWatermarks("t", core::PartitionId(2));
  ASSERT_TRUE(marks.has_value()) << marks.error().ToString();
  EXPECT_EQ(marks.value().low, core::Offset(0));
  EXPECT_EQ(marks.value().high, core::Offset(25));
  auto empty_marks = admin->QueryWatermarks("t", core::PartitionId(0));
  ASSERT_TRUE(empty_marks.has_value());
  EXPECT_EQ(empty_marks.value().high, core::Offset(0));

  auto last = admin->ReadLastRecord("t", core::PartitionId(2));
  ASSERT_TRUE(last.has_value()) << last.error().ToString();
  ASSERT_TRUE(last.value().has_value());
  EXPECT_EQ(last.value()->offset, core::Offset(24));
  EXPECT_EQ(last.value()->value, "24");
  EXPECT_EQ(last.value()->key, "k24");

  auto none = admin->ReadLastRecord("t", core::PartitionId(0));
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_FALSE(none.value().has_value());

  auto tail = admin->ReadLastRecords("t", core::PartitionId(2), 4);
  ASSERT_TRUE(tail.has_value()) << tail.error().ToString();
  std::vector<std::string> values;
  for (const Record& r : tail.value()) values.push_back(r.value);
  EXPECT_EQ(values, (std::vector<std::string>{"21", "22", "23", "24"}));
  auto whole = admin->ReadLastRecords("t", core::PartitionId(2), 1000);
  ASSERT_TRUE(whole.has_value()) << whole.error().ToString();
  ASSERT_EQ(whole.value().size(), 25u);
  EXPECT_EQ(whole.value().front().offset, core::Offset(0));
  auto nothing = admin->ReadLastRecords("t", core::PartitionId(0), 10);
  ASSERT_TRUE(nothing.has_value()) << nothing.error().ToString();
  EXPECT_TRUE(nothing.value().empty());
}

TEST_F(MockClusterTest, CommitAsyncThenCommittedOffsets) {
  auto producer = OpenProducer();
  ASSERT_NE(producer, nullptr);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(0), .value = "v"})
                    .ok());
  }
  ASSERT_TRUE(producer->Flush(seconds(10)).ok());
  auto consumer = OpenConsumer("cf-test-group");
  auto admin = OpenAdmin();
  ASSERT_NE(consumer, nullptr);
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(consumer->Assign({{"t", core::PartitionId(0), kOffsetBeginning}}).ok());
  ASSERT_EQ(PollN(*consumer, 5).size(), 5u);
  ASSERT_TRUE(consumer->CommitAsync({{"t", core::PartitionId(0), core::Offset(5)}}).ok());

  std::vector<TopicPartitionOffset> committed;
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(consumer->Poll(1, milliseconds(50)).has_value());  // serves the commit
    auto offsets = admin->CommittedOffsets(
        "cf-test-group", {{"t", core::PartitionId(0)}, {"t", core::PartitionId(1)}});
    ASSERT_TRUE(offsets.has_value()) << offsets.error().ToString();
    committed = offsets.value();
    if (committed.size() == 2 && committed[0].offset == core::Offset(5)) break;
  }
  ASSERT_EQ(committed.size(), 2u);
  EXPECT_EQ(committed[0].offset, core::Offset(5));
  EXPECT_EQ(committed[1].offset, kOffsetBeginning);  // nothing committed there

  // Without a group, CommitAsync does nothing.
  auto groupless = OpenConsumer();
  ASSERT_NE(groupless, nullptr);
  EXPECT_TRUE(groupless->CommitAsync({{"t", core::PartitionId(0), core::Offset(1)}}).ok());
}

TEST_F(MockClusterTest, DeliveryErrorIsReturnedByFlushOnce) {
  auto producer = OpenProducer();
  ASSERT_NE(producer, nullptr);
  // Warm up so the producer id and metadata are in place.
  ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(0), .value = "a"}).ok());
  ASSERT_TRUE(producer->Flush(seconds(10)).ok());

  // A non-retriable produce error for the next request.
  rd_kafka_mock_push_request_errors(cluster_.get(), /*Produce*/ 0, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(0), .value = "b"}).ok());
  core::Status flushed = producer->Flush(seconds(10));
  EXPECT_EQ(flushed.code(), core::StatusCode::kInvalidArgument) << flushed.ToString();
  EXPECT_GE(core::MetricsRegistry::Global()
                .GetCounter("chainflow_log_delivery_errors_total", "", {{"topic", "t"}})
                .Value(),
            1u);

  // Reported once: the next batch starts clean.
  core::Status sent =
      producer->Send({.topic = "t", .partition = core::PartitionId(0), .value = "c"});
  ASSERT_TRUE(sent.ok()) << sent.ToString();
  EXPECT_EQ(producer->Flush(seconds(10)), core::Status::Ok());
}

TEST_F(MockClusterTest, BrokerDownTimesOutDelivery) {
  auto producer = OpenProducer({{"message.timeout.ms", "1500"}});
  ASSERT_NE(producer, nullptr);
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(0), .value = "x"}).ok());
  // Still in flight: the flush ran out, not the record (a later flush
  // waits for it again).
  core::Status waiting = producer->Flush(milliseconds(100));
  EXPECT_EQ(waiting.code(), core::StatusCode::kDeadlineExceeded) << waiting.ToString();
  // Past message.timeout.ms the record is lost: Unavailable, never
  // DeadlineExceeded, so a caller waiting out an outage stops waiting.
  core::Status flushed = producer->Flush(seconds(10));
  EXPECT_EQ(flushed.code(), core::StatusCode::kUnavailable) << flushed.ToString();
  EXPECT_NE(flushed.message().find("delivering to t/0"), std::string::npos) << flushed.ToString();
}

// A restore read while the broker is down waits up to its timeout, unless
// its stop is requested: a stopping runner must not wait out the outage.
TEST_F(MockClusterTest, ReadToEndGivesUpWhenStopIsRequested) {
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::stop_source stop;
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(milliseconds(300));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  core::Status st = Consumer::ReadToEnd(
      {.brokers = cluster_.bootstraps()}, {{"t", core::PartitionId(0), core::Offset(0)}},
      [](const Record&) { return core::Status::Ok(); }, seconds(60), stop.get_token());
  const auto took = std::chrono::steady_clock::now() - started;
  stopper.join();
  EXPECT_EQ(st.code(), core::StatusCode::kCancelled) << st.ToString();
  EXPECT_NE(st.message().find("stopped (first open: t/0)"), std::string::npos) << st.ToString();
  EXPECT_LT(took, seconds(10));
}

// A monitoring Admin (the status collector's) must not hold its callers
// for the default 30 s when the broker goes away: each query gives up after
// the request timeout it was opened with.
TEST_F(MockClusterTest, AdminQueriesGiveUpAfterTheirRequestTimeout) {
  auto admin = Admin::Open(cluster_.bootstraps(), milliseconds(1500));
  ASSERT_TRUE(admin.has_value()) << admin.error().ToString();
  ASSERT_TRUE(admin.value()->QueryWatermarks("t", core::PartitionId(0)).has_value());
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  // Before: rd_kafka_query_watermark_offsets waited for the broker forever.
  auto started = std::chrono::steady_clock::now();
  auto marks = admin.value()->QueryWatermarks("t", core::PartitionId(0));
  EXPECT_FALSE(marks.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(4));
  started = std::chrono::steady_clock::now();
  auto high = admin.value()->QueryHighWatermark("t", core::PartitionId(0));
  EXPECT_FALSE(high.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(4));
  started = std::chrono::steady_clock::now();
  auto committed = admin.value()->CommittedOffsets("g", {{"t", core::PartitionId(0)}});
  EXPECT_FALSE(committed.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(4));
}

TEST_F(MockClusterTest, FullQueueIsResourceExhausted) {
  auto producer = OpenProducer({{"queue.buffering.max.messages", "2"}});
  ASSERT_NE(producer, nullptr);
  ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_.get(), 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  core::Status status;
  for (int i = 0; i < 3 && status.ok(); ++i) {
    status = producer->Send({.topic = "t", .partition = core::PartitionId(0), .value = "x"});
  }
  EXPECT_EQ(status.code(), core::StatusCode::kResourceExhausted) << status.ToString();
  // Flush gives up with DeadlineExceeded while the broker is down.
  EXPECT_EQ(producer->Flush(milliseconds(100)).code(), core::StatusCode::kDeadlineExceeded);
}

TEST_F(MockClusterTest, BadPropertyIsInvalidArgumentNamingIt) {
  auto producer =
      Producer::Open({.brokers = cluster_.bootstraps(), .properties = {{"no.such.thing", "1"}}});
  ASSERT_FALSE(producer.has_value());
  EXPECT_EQ(producer.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(producer.error().message().find("no.such.thing"), std::string::npos)
      << producer.error().ToString();

  auto consumer = Consumer::Open(
      {.brokers = cluster_.bootstraps(), .properties = {{"fetch.wait.max.ms", "banana"}}});
  ASSERT_FALSE(consumer.has_value());
  EXPECT_EQ(consumer.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(consumer.error().message().find("fetch.wait.max.ms"), std::string::npos);
}

TEST_F(MockClusterTest, TransactionCommitIsVisibleToReadCommitted) {
  auto opened = Producer::Open({.brokers = cluster_.bootstraps(), .transactional_id = "cf-txn"});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  EXPECT_EQ(producer->BeginTransaction(), core::Status::Ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(producer->Send({.topic = "t", .partition = core::PartitionId(1), .value = "tx"})
                    .ok());
  }
  auto committed = producer->CommitTransaction(seconds(10));
  ASSERT_TRUE(committed.has_value()) << committed.error().ToString();
  // Where the transaction's records landed: offsets 0-2 of t/1.
  EXPECT_EQ(committed.value(), (AppendedOffsets{{{"t", core::PartitionId(1)}, core::Offset(2)}}));

  auto consumer = OpenConsumer();
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Assign({{"t", core::PartitionId(1), kOffsetBeginning}}).ok());
  EXPECT_EQ(PollN(*consumer, 3).size(), 3u);

  // Transactions on a non-transactional producer are a precondition failure.
  auto plain = OpenProducer();
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->BeginTransaction().code(), core::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace chainflow::engine::log
