// Producer, Consumer and Admin against the real broker that ops/ starts on
// 127.0.0.1:9092 (label: integration). Skips when no broker answers.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "engine/log/admin.h"
#include "engine/log/cloud_events.h"
#include "engine/log/consumer.h"
#include "engine/log/producer.h"

namespace chainflow::engine::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kBrokers[] = "127.0.0.1:9092";

bool BrokerReachable(seconds wait) {
  const auto deadline = Clock::now() + wait;
  while (true) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(9092);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (ok) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(250));
  }
}

std::string UniqueName(const std::string& base) {
  return base + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
}

class KafkaIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!BrokerReachable(seconds(5))) GTEST_SKIP() << "no Kafka broker at " << kBrokers;
    auto admin = Admin::Open(kBrokers);
    ASSERT_TRUE(admin.has_value()) << admin.error().ToString();
    admin_ = std::move(admin).value();
  }
  void TearDown() override {
    if (admin_ && !topics_.empty()) {
      EXPECT_EQ(admin_->DeleteTopics(topics_), core::Status::Ok());
    }
  }
  std::string CreateTopic(const std::string& base, int partitions) {
    std::string name = UniqueName(base);
    core::Status created = admin_->CreateTopic(name, partitions, 1);
    EXPECT_EQ(created, core::Status::Ok());
    if (created.ok()) topics_.push_back(name);
    return name;
  }

  std::unique_ptr<Admin> admin_;
  std::vector<std::string> topics_;
};

TEST_F(KafkaIntegrationTest, ProduceReadBackCommitAndDelete) {
  constexpr int kPartitions = 3;
  constexpr int kRecords = 1000;
  const std::string topic = CreateTopic("cf-it-log", kPartitions);
  // Creating it again is fine and keeps the partition count.
  ASSERT_EQ(admin_->CreateTopic(topic, 5, 1), core::Status::Ok());
  auto count = admin_->PartitionCount(topic);
  ASSERT_TRUE(count.has_value()) << count.error().ToString();
  EXPECT_EQ(count.value(), kPartitions);

  auto opened = Producer::Open({.brokers = kBrokers});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  std::map<int32_t, std::string> last_key;  // per partition
  std::map<int32_t, int64_t> per_partition;
  for (int i = 0; i < kRecords; ++i) {
    const std::string key = "anvil:0xc0ffee:" + std::to_string(i);
    const core::PartitionId partition = PartitionForKey(key, kPartitions);
    ASSERT_EQ(producer->Send({.topic = topic,
                              .partition = partition,
                              .key = key,
                              .value = "payload-" + std::to_string(i),
                              .headers = CloudEventHeaders({.id = "id-" + std::to_string(i),
                                                            .source = "it",
                                                            .type = "chainflow.test",
                                                            .time_seconds = 1700000000})}),
              core::Status::Ok());
    last_key[partition.value()] = key;
    ++per_partition[partition.value()];
  }
  ASSERT_EQ(producer->Flush(seconds(30)), core::Status::Ok());
  ASSERT_EQ(per_partition.size(), static_cast<size_t>(kPartitions));

  for (int p = 0; p < kPartitions; ++p) {
    auto marks = admin_->QueryWatermarks(topic, core::PartitionId(p));
    ASSERT_TRUE(marks.has_value()) << marks.error().ToString();
    EXPECT_EQ(marks.value().low, core::Offset(0));
    EXPECT_EQ(marks.value().high, core::Offset(per_partition[p]));
    auto last = admin_->ReadLastRecord(topic, core::PartitionId(p));
    ASSERT_TRUE(last.has_value()) << last.error().ToString();
    ASSERT_TRUE(last.value().has_value());
    EXPECT_EQ(last.value()->key, last_key[p]);
    EXPECT_EQ(last.value()->offset, core::Offset(per_partition[p] - 1));
  }

  const std::string group = UniqueName("cf-it-group");
  auto consumer_or = Consumer::Open({.brokers = kBrokers, .group_id = group});
  ASSERT_TRUE(consumer_or.has_value()) << consumer_or.error().ToString();
  auto consumer = std::move(consumer_or).value();
  std::vector<TopicPartitionOffset> assignment;
  for (int p = 0; p < kPartitions; ++p) {
    assignment.push_back({topic, core::PartitionId(p), kOffsetBeginning});
  }
  ASSERT_EQ(consumer->Assign(assignment), core::Status::Ok());
  std::map<int32_t, int64_t> next;
  int received = 0;
  const auto deadline = Clock::now() + seconds(30);
  while (received < kRecords && Clock::now() < deadline) {
    auto batch = consumer->Poll(500, milliseconds(500));
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    for (const Record& r : batch.value()) {
      EXPECT_EQ(r.offset.value(), next[r.partition.value()]++);
      EXPECT_EQ(r.partition, PartitionForKey(r.key, kPartitions));
      ASSERT_NE(r.FindHeader("ce_type"), nullptr);
      EXPECT_EQ(*r.FindHeader("ce_type"), "chainflow.test");
      EXPECT_GT(r.timestamp_ms, 0);
      ++received;
    }
  }
  ASSERT_EQ(received, kRecords);

  std::vector<TopicPartitionOffset> commit;
  std::vector<TopicPartition> partitions;
  for (int p = 0; p < kPartitions; ++p) {
    commit.push_back({topic, core::PartitionId(p), core::Offset(next[p])});
    partitions.push_back({topic, core::PartitionId(p)});
  }
  ASSERT_EQ(consumer->CommitAsync(commit), core::Status::Ok());
  bool matched = false;
  const auto commit_deadline = Clock::now() + seconds(15);
  while (!matched && Clock::now() < commit_deadline) {
    ASSERT_TRUE(consumer->Poll(1, milliseconds(100)).has_value());  // serves the commit
    auto committed = admin_->CommittedOffsets(group, partitions);
    ASSERT_TRUE(committed.has_value()) << committed.error().ToString();
    matched = true;
    for (int p = 0; p < kPartitions; ++p) {
      matched = matched && committed.value()[p].offset == core::Offset(next[p]);
    }
  }
  EXPECT_TRUE(matched);
}

TEST_F(KafkaIntegrationTest, TransactionsHideAbortedRecordsAndMarkers) {
  const std::string topic = CreateTopic("cf-it-txn", 1);
  auto opened = Producer::Open({.brokers = kBrokers, .transactional_id = UniqueName("cf-it-txn")});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  const auto send = [&](const std::string& value) {
    return producer->Send({.topic = topic, .partition = core::PartitionId(0), .value = value});
  };
  ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(send("committed-" + std::to_string(i)), core::Status::Ok());
  auto committed = producer->CommitTransaction(seconds(30));
  ASSERT_TRUE(committed.has_value()) << committed.error().ToString();
  EXPECT_EQ(committed.value(), (AppendedOffsets{{{topic, core::PartitionId(0)}, core::Offset(4)}}));
  ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(send("aborted-" + std::to_string(i)), core::Status::Ok());
  ASSERT_EQ(producer->Flush(seconds(30)), core::Status::Ok());
  ASSERT_EQ(producer->AbortTransaction(seconds(30)), core::Status::Ok());

  // Offsets: 0-4 records, 5 commit marker, 6-8 aborted records, 9 abort marker.
  // The abort marker may land a moment after AbortTransaction returns on a
  // loaded machine: wait for it rather than racing it.
  auto marks = admin_->QueryWatermarks(topic, core::PartitionId(0));
  for (auto until = Clock::now() + seconds(20);
       marks.has_value() && marks.value().high != core::Offset(10) && Clock::now() < until;) {
    std::this_thread::sleep_for(milliseconds(100));
    marks = admin_->QueryWatermarks(topic, core::PartitionId(0));
  }
  ASSERT_TRUE(marks.has_value()) << marks.error().ToString();
  EXPECT_EQ(marks.value().high, core::Offset(10));
  auto last = admin_->ReadLastRecord(topic, core::PartitionId(0));
  ASSERT_TRUE(last.has_value()) << last.error().ToString();
  ASSERT_TRUE(last.value().has_value());
  EXPECT_EQ(last.value()->value, "committed-4");
  EXPECT_EQ(last.value()->offset, core::Offset(4));
  // The last 8 offsets (2-9) hold 3 committed records, a marker, 3 aborted
  // records and a marker: only the committed records come back.
  auto tail = admin_->ReadLastRecords(topic, core::PartitionId(0), 8);
  ASSERT_TRUE(tail.has_value()) << tail.error().ToString();
  std::vector<std::string> tail_values;
  for (const Record& r : tail.value()) tail_values.push_back(r.value);
  EXPECT_EQ(tail_values,
            (std::vector<std::string>{"committed-2", "committed-3", "committed-4"}));

  auto consumer = std::move(Consumer::Open({.brokers = kBrokers})).value();
  ASSERT_EQ(consumer->Assign({{topic, core::PartitionId(0), kOffsetBeginning}}),
            core::Status::Ok());
  std::vector<std::string> values;
  // Read until the committed records are in (generous deadline: shared,
  // loaded machine), then a little longer to see that nothing else follows.
  const auto deadline = Clock::now() + seconds(30);
  while (values.size() < 5 && Clock::now() < deadline) {
    auto batch = consumer->Poll(100, milliseconds(200));
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    for (const Record& r : batch.value()) values.push_back(r.value);
  }
  for (int i = 0; i < 5; ++i) {
    auto batch = consumer->Poll(100, milliseconds(200));
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    for (const Record& r : batch.value()) values.push_back(r.value);
  }
  ASSERT_EQ(values.size(), 5u);
  EXPECT_EQ(values.back(), "committed-4");
}

TEST_F(KafkaIntegrationTest, CreateTopicsMakesEveryOneVisibleInOneCall) {
  const std::string existing = CreateTopic("cf-it-many-existing", 2);
  std::vector<NewTopic> wanted = {{UniqueName("cf-it-many-a"), 4, 1, {}},
                                  {UniqueName("cf-it-many-b"), 1, 1, {{"retention.ms", "60000"}}},
                                  {existing, 7, 1, {}}};
  topics_.push_back(wanted[0].name);
  topics_.push_back(wanted[1].name);
  ASSERT_EQ(admin_->CreateTopics(wanted), core::Status::Ok());
  // Visible at once, with their own partition counts; the existing topic
  // keeps its count.
  for (auto [topic, partitions] : {std::pair{wanted[0].name, 4}, std::pair{wanted[1].name, 1},
                                   std::pair{existing, 2}}) {
    auto count = admin_->PartitionCount(topic);
    ASSERT_TRUE(count.has_value()) << topic << ": " << count.error().ToString();
    EXPECT_EQ(count.value(), partitions) << topic;
  }
  auto listed = admin_->ListTopics();
  ASSERT_TRUE(listed.has_value()) << listed.error().ToString();
  for (const std::string& topic : {wanted[0].name, wanted[1].name, existing}) {
    EXPECT_TRUE(std::binary_search(listed.value().begin(), listed.value().end(), topic)) << topic;
  }
  // A bad request names its topic.
  core::Status bad = admin_->CreateTopics({{UniqueName("cf-it-many-bad"), 0, 1, {}}});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.ToString().find("cf-it-many-bad"), std::string::npos) << bad.ToString();
}

TEST_F(KafkaIntegrationTest, UnknownTopicIsNotFound) {
  auto count = admin_->PartitionCount(UniqueName("cf-it-missing"));
  ASSERT_FALSE(count.has_value());
  EXPECT_EQ(count.error().code(), core::StatusCode::kNotFound) << count.error().ToString();
  // Position queries say so at once too, not after their timeout.
  const auto started = std::chrono::steady_clock::now();
  auto marks = admin_->QueryWatermarks(UniqueName("cf-it-missing"), core::PartitionId(0));
  ASSERT_FALSE(marks.has_value());
  EXPECT_EQ(marks.error().code(), core::StatusCode::kNotFound) << marks.error().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(KafkaIntegrationTest, SendToMissingTopicFailsFlushWithNotFound) {
  const std::string topic = UniqueName("cf-it-missing");
  // The default wait for a topic to appear is 30 s; shorten it for the test.
  auto opened = Producer::Open(
      {.brokers = kBrokers, .properties = {{"topic.metadata.propagation.max.ms", "1000"}}});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  ASSERT_EQ(producer->Send({.topic = topic, .partition = core::PartitionId(0), .value = "x"}),
            core::Status::Ok());
  core::Status flushed = producer->Flush(seconds(30));
  EXPECT_EQ(flushed.code(), core::StatusCode::kNotFound) << flushed.ToString();
  // Not created behind our back.
  auto count = admin_->PartitionCount(topic);
  ASSERT_FALSE(count.has_value());
  EXPECT_EQ(count.error().code(), core::StatusCode::kNotFound);
}

TEST_F(KafkaIntegrationTest, Throughput) {
  constexpr int kPartitions = 3;
  const int records = std::getenv("CF_LOG_BENCH_RECORDS") != nullptr
                          ? std::atoi(std::getenv("CF_LOG_BENCH_RECORDS"))
                          : 200000;
  const std::string topic = CreateTopic("cf-it-throughput", kPartitions);
  auto producer = std::move(Producer::Open({.brokers = kBrokers})).value();
  const std::string value(200, 'v');  // a typical small protobuf event
  const auto produce_start = Clock::now();
  for (int i = 0; i < records; ++i) {
    const std::string key = "anvil:0xtoken:" + std::to_string(i % 5000);
    ASSERT_EQ(producer->Send({.topic = topic,
                              .partition = PartitionForKey(key, kPartitions),
                              .key = key,
                              .value = value,
                              .headers = CloudEventHeaders({.id = std::to_string(i),
                                                            .source = "bench",
                                                            .type = "chainflow.bench",
                                                            .time_seconds = 1700000000})}),
              core::Status::Ok());
  }
  ASSERT_EQ(producer->Flush(seconds(120)), core::Status::Ok());
  const double produce_s = std::chrono::duration<double>(Clock::now() - produce_start).count();

  auto consumer = std::move(Consumer::Open({.brokers = kBrokers})).value();
  std::vector<TopicPartitionOffset> assignment;
  for (int p = 0; p < kPartitions; ++p) {
    assignment.push_back({topic, core::PartitionId(p), kOffsetBeginning});
  }
  ASSERT_EQ(consumer->Assign(assignment), core::Status::Ok());
  int received = 0;
  const auto consume_start = Clock::now();
  while (received < records && Clock::now() < consume_start + seconds(120)) {
    auto batch = consumer->Poll(1000, milliseconds(500));
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    received += static_cast<int>(batch.value().size());
  }
  const double consume_s = std::chrono::duration<double>(Clock::now() - consume_start).count();
  ASSERT_EQ(received, records);
  std::printf("[throughput] %d records (200 B value + 6 CloudEvents headers): produce %.0f rec/s "
              "(%.2f s incl. flush), consume %.0f rec/s (%.2f s)\n",
              records, records / produce_s, produce_s, records / consume_s, consume_s);
}

// An open transaction holds the last stable offset back: QueryWatermarks'
// end is where read_committed readers stop, QueryHighWatermark where the
// log ends; they meet again once the transaction ends.
TEST_F(KafkaIntegrationTest, AnOpenTransactionHoldsTheStableEndBelowTheHighWatermark) {
  const std::string topic = CreateTopic("cf-it-lso", 1);
  auto opened = Producer::Open({.brokers = kBrokers, .transactional_id = UniqueName("cf-it-lso")});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  auto ends = [&] {
    auto stable = admin_->QueryWatermarks(topic, core::PartitionId(0));
    auto high = admin_->QueryHighWatermark(topic, core::PartitionId(0));
    EXPECT_TRUE(stable.has_value() && high.has_value());
    return std::make_pair(stable.has_value() ? stable.value().high.value() : -1,
                          high.has_value() ? high.value().value() : -1);
  };
  EXPECT_EQ(ends(), std::make_pair(int64_t{0}, int64_t{0}));
  ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(producer->Send({.topic = topic, .partition = core::PartitionId(0), .key = "k",
                                .value = "v"}).ok());
  }
  ASSERT_EQ(producer->Flush(seconds(30)), core::Status::Ok());  // on the broker, still open
  EXPECT_EQ(ends(), std::make_pair(int64_t{0}, int64_t{3}));
  ASSERT_TRUE(producer->CommitTransaction(seconds(30)).has_value());
  // Records 0-2 and the commit marker at 3; the marker may land a moment
  // after the commit returns.
  std::pair<int64_t, int64_t> after;
  for (const auto until = Clock::now() + seconds(20); Clock::now() < until;) {
    after = ends();
    if (after == std::make_pair(int64_t{4}, int64_t{4})) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(after, std::make_pair(int64_t{4}, int64_t{4}));
}

// A static member fenced by a newer one with its group.instance.id (what a
// broker stall does to a running instance: its session expires and it
// rejoins) is a fatal consumer; destroying it must not call back into it.
TEST_F(KafkaIntegrationTest, AFencedStaticMemberIsDestroyedCleanly) {
  const std::string topic = CreateTopic("cf-it-fenced", 2);
  const std::string group = UniqueName("cf-it-fenced-group");
  const std::string instance = UniqueName("cf-it-fenced-member");
  auto open = [&] {
    auto c = Consumer::Open({.brokers = kBrokers,
                             .group_id = group,
                             .properties = {{"group.instance.id", instance},
                                            {"session.timeout.ms", "6000"},
                                            {"partition.assignment.strategy", "range"}}});
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return std::move(c).value();
  };
  auto subscribe = [&](Consumer& c, int* assigned) {
    return c.Subscribe({topic}, {.assigned =
                                     [assigned, topic](const std::vector<TopicPartition>& tps) {
                                       *assigned += static_cast<int>(tps.size());
                                       std::vector<TopicPartitionOffset> from;
                                       for (const auto& tp : tps) {
                                         from.push_back({tp.topic, tp.partition,
                                                         kOffsetBeginning});
                                       }
                                       return from;
                                     },
                                 .revoked = [](const std::vector<TopicPartition>&, bool) {}});
  };
  int a_assigned = 0;
  int b_assigned = 0;
  std::unique_ptr<Consumer> a = open();
  ASSERT_EQ(subscribe(*a, &a_assigned), core::Status::Ok());
  for (const auto until = Clock::now() + seconds(30); a_assigned == 0 && Clock::now() < until;) {
    ASSERT_TRUE(a->Poll(10, milliseconds(100)).has_value());
  }
  ASSERT_EQ(a_assigned, 2);
  std::unique_ptr<Consumer> b = open();
  ASSERT_EQ(subscribe(*b, &b_assigned), core::Status::Ok());
  bool fenced = false;
  for (const auto until = Clock::now() + seconds(60); !fenced && Clock::now() < until;) {
    ASSERT_TRUE(b->Poll(10, milliseconds(50)).has_value());
    fenced = !a->Poll(10, milliseconds(50)).has_value() || !a->FatalError().ok();
  }
  ASSERT_TRUE(fenced) << "the older member was never fenced";
  EXPECT_FALSE(a->FatalError().ok());
  a.reset();  // must neither crash nor hang
  for (const auto until = Clock::now() + seconds(30); b_assigned == 0 && Clock::now() < until;) {
    ASSERT_TRUE(b->Poll(10, milliseconds(100)).has_value());
  }
  EXPECT_EQ(b_assigned, 2);
}

// Restores read a changelog with Consumer::ReadToEnd: committed records and
// tombstones, never aborted ones, and the offsets a transaction commits for
// a group are the group's.
TEST_F(KafkaIntegrationTest, ReadToEndSeesCommittedRecordsTombstonesAndGroupOffsets) {
  const std::string topic = CreateTopic("cf-it-rte", 2);
  const std::string group = UniqueName("cf-it-rte-group");
  auto opened = Producer::Open({.brokers = kBrokers, .transactional_id = UniqueName("cf-it-rte")});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
  ASSERT_TRUE(producer->Send({.topic = topic, .partition = core::PartitionId(0), .key = "a",
                              .value = "1"}).ok());
  ASSERT_TRUE(producer->Send({.topic = topic, .partition = core::PartitionId(0), .key = "a",
                              .tombstone = true}).ok());
  ASSERT_TRUE(producer->Send({.topic = topic, .partition = core::PartitionId(1), .key = "b",
                              .value = ""}).ok());
  ASSERT_TRUE(producer
                  ->SendOffsetsToTransaction({{topic, core::PartitionId(0), core::Offset(7)}},
                                             {.group_id = group}, seconds(30))
                  .ok());
  ASSERT_TRUE(producer->CommitTransaction(seconds(30)).has_value());
  ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
  ASSERT_TRUE(producer->Send({.topic = topic, .partition = core::PartitionId(0), .key = "x",
                              .value = "aborted"}).ok());
  // Delivered first, so the partition is registered with the coordinator:
  // librdkafka (#4849) may otherwise send EndTxn while the registration is
  // still being retried behind the previous commit, and the coordinator
  // refuses the abort of a transaction it has not seen (fatal
  // INVALID_TXN_STATE; CI hit it once).
  ASSERT_EQ(producer->Flush(seconds(30)), core::Status::Ok());
  ASSERT_EQ(producer->AbortTransaction(seconds(30)), core::Status::Ok());

  std::vector<Record> read;
  core::Status st = Consumer::ReadToEnd(
      {.brokers = kBrokers},
      {{topic, core::PartitionId(0), kOffsetBeginning},
       {topic, core::PartitionId(1), kOffsetBeginning}},
      [&](const Record& r) {
        read.push_back(r);
        return core::Status::Ok();
      },
      seconds(30));
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(read.size(), 3u);
  std::map<std::string, std::vector<std::pair<std::string, bool>>> by_key;
  for (const Record& r : read) by_key[r.key].push_back({r.value, r.tombstone});
  EXPECT_EQ(by_key["a"], (std::vector<std::pair<std::string, bool>>{{"1", false}, {"", true}}));
  EXPECT_EQ(by_key["b"], (std::vector<std::pair<std::string, bool>>{{"", false}}))
      << "an empty value is not a tombstone";
  EXPECT_EQ(by_key.count("x"), 0u) << "an aborted record was read";

  // CommitTransaction returns once the coordinator has decided; the marker
  // that makes the group's offset visible to a non-waiting fetch (which
  // CommittedOffsets is, for monitoring) is written after that.
  core::Offset committed = kOffsetBeginning;
  for (const auto deadline = Clock::now() + seconds(30);
       committed != core::Offset(7) && Clock::now() < deadline;) {
    auto offsets = admin_->CommittedOffsets(group, {{topic, core::PartitionId(0)}});
    ASSERT_TRUE(offsets.has_value()) << offsets.error().ToString();
    committed = offsets.value().at(0).offset;
    if (committed != core::Offset(7)) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(committed, core::Offset(7));

  // A start past the end is data loss, named.
  st = Consumer::ReadToEnd({.brokers = kBrokers}, {{topic, core::PartitionId(1), core::Offset(50)}},
                           [](const Record&) { return core::Status::Ok(); }, seconds(30));
  EXPECT_EQ(st.code(), core::StatusCode::kDataLoss) << st.ToString();
}

// A restore that started while the previous owner's last transaction was
// still open (or committed with its markers not yet written) must not stop
// at the last stable offset: the records of a transaction that then
// commits are part of the state, and a store without them redoes their
// effects. ReadToEnd waits for it, and skips it when it aborts.
TEST_F(KafkaIntegrationTest, ReadToEndWaitsForATransactionOpenAtTheCall) {
  const std::string topic = CreateTopic("cf-it-rte-open", 1);
  auto opened =
      Producer::Open({.brokers = kBrokers, .transactional_id = UniqueName("cf-it-rte-open")});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  auto producer = std::move(opened).value();
  auto send = [&](const std::string& key) {
    return producer->Send({.topic = topic, .partition = core::PartitionId(0), .key = key,
                           .value = "v"});
  };
  auto read_all = [&](std::vector<std::string>* keys) {
    return Consumer::ReadToEnd(
        {.brokers = kBrokers}, {{topic, core::PartitionId(0), kOffsetBeginning}},
        [keys](const Record& r) {
          keys->push_back(r.key);
          return core::Status::Ok();
        },
        seconds(30));
  };
  ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
  ASSERT_TRUE(send("committed").ok());
  ASSERT_TRUE(producer->CommitTransaction(seconds(30)).has_value());

  for (const bool commit : {true, false}) {
    SCOPED_TRACE(commit ? "the open transaction commits" : "the open transaction aborts");
    ASSERT_EQ(producer->BeginTransaction(), core::Status::Ok());
    ASSERT_TRUE(send(commit ? "open-then-committed" : "open-then-aborted").ok());
    ASSERT_EQ(producer->Flush(seconds(30)), core::Status::Ok());  // on the broker, uncommitted

    std::vector<std::string> keys;
    core::Status st = core::InternalError("not read");
    Clock::time_point finished;
    std::thread reader([&] {
      st = read_all(&keys);
      finished = Clock::now();
    });
    std::this_thread::sleep_for(milliseconds(1500));
    const Clock::time_point ended = Clock::now();
    if (commit) {
      ASSERT_TRUE(producer->CommitTransaction(seconds(30)).has_value());
    } else {
      ASSERT_EQ(producer->AbortTransaction(seconds(30)), core::Status::Ok());
    }
    reader.join();
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_GE(finished, ended) << "the read ended while the transaction was open";
    // The aborted round reads what the committed one left, and no more.
    EXPECT_EQ(keys, (std::vector<std::string>{"committed", "open-then-committed"}));
  }
}

}  // namespace
}  // namespace chainflow::engine::log
