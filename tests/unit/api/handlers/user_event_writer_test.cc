#include "api/handlers/user_event_writer.h"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/fake_log.h"
#include "tests/unit/api/handlers/fake_dedup_store.h"

namespace chainflow::api::handlers {
namespace {

constexpr char kTopic[] = "t.user.events";

engine::log::OutRecord Record(int64_t received_at, const std::string& value) {
  engine::log::OutRecord r;
  r.topic = kTopic;
  r.partition = core::PartitionId(0);
  r.key = "k";
  r.value = value + "@" + std::to_string(received_at);
  return r;
}

class UserEventWriterTest : public ::testing::Test {
 protected:
  core::Result<WriteOutcome> Write(const std::string& key, const std::string& digest,
                                   int64_t now) {
    return writer_.Write(key, digest, "id-" + key, now,
                         [&](int64_t received_at) { return Record(received_at, digest); });
  }
  std::vector<std::string> Values() const {
    std::vector<std::string> out;
    for (const auto& r : log_.ReadAll(kTopic)) out.push_back(r.value);
    return out;
  }

  chainflow::testing::FakeLog log_;
  testing::FakeDedupStore store_;
  UserEventWriter writer_{log_, store_};
};

TEST_F(UserEventWriterTest, AppendsOnceAndAnswersRetriesFromTheStore) {
  auto first = Write("a", "d1", 100);
  ASSERT_TRUE(first);
  EXPECT_EQ(first.value().result, WriteResult::kAppended);
  EXPECT_EQ(first.value().received_at, 100);
  EXPECT_EQ(first.value().record_id, "id-a");
  auto again = Write("a", "d1", 200);
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().result, WriteResult::kDuplicate);
  EXPECT_EQ(again.value().received_at, 100);  // the first attempt's time
  EXPECT_EQ(Values(), std::vector<std::string>{"d1@100"});
}

TEST_F(UserEventWriterTest, SameKeyOtherDigestIsAConflictAndAppendsNothing) {
  ASSERT_TRUE(Write("a", "d1", 100));
  auto other = Write("a", "d2", 100);
  ASSERT_TRUE(other);
  EXPECT_EQ(other.value().result, WriteResult::kConflict);
  EXPECT_EQ(Values().size(), 1u);
}

TEST_F(UserEventWriterTest, FailedAppendIsRetriedWithTheFirstTimestamp) {
  log_.FailNextFlush(core::UnavailableError("broker down"));
  auto failed = Write("a", "d1", 100);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), core::StatusCode::kUnavailable);
  auto retried = Write("a", "d1", 250);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried.value().result, WriteResult::kAppended);
  EXPECT_EQ(retried.value().received_at, 100);
  // The failed attempt's record may exist (the fake keeps it, like a broker
  // that appended before the error); the retry's is byte-identical.
  std::vector<std::string> values = Values();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], values[1]);
  EXPECT_EQ(values[1], "d1@100");
  EXPECT_EQ(Write("a", "d1", 300).value().result, WriteResult::kDuplicate);
  EXPECT_EQ(Values().size(), 2u);
}

TEST_F(UserEventWriterTest, LostDoneMarkRepeatsTheIdenticalRecord) {
  // The crash window: appended, but the done mark was not stored.
  ASSERT_TRUE(store_.Put("a", {false, 100, "d1", "id-a"}).ok());
  ASSERT_TRUE(log_.Send(Record(100, "d1")).ok());
  auto retried = Write("a", "d1", 500);
  ASSERT_TRUE(retried);
  std::vector<std::string> values = Values();
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0], values[1]);  // same bytes, same id: dropped downstream
}

TEST_F(UserEventWriterTest, StoreFailureBeforeAppendAppendsNothing) {
  store_.FailNextPut(core::UnavailableError("disk"));
  EXPECT_FALSE(Write("a", "d1", 100));
  EXPECT_TRUE(Values().empty());
}

// A sink whose Flush waits until the test releases it.
class BlockingSink : public engine::log::RecordSink {
 public:
  core::Status Send(const engine::log::OutRecord&) override {
    sent_.set_value();
    return core::Status::Ok();
  }
  core::Status Flush(std::chrono::milliseconds) override {
    release_.get_future().wait();
    return core::Status::Ok();
  }
  std::promise<void> sent_;
  std::promise<void> release_;
};

TEST(UserEventWriterConcurrencyTest, SameKeyInFlightIsAbortedOtherKeysAreNot) {
  BlockingSink sink;
  testing::FakeDedupStore store;
  UserEventWriter writer(sink, store);
  auto build = [](int64_t t) { return Record(t, "d"); };
  std::future<void> sent = sink.sent_.get_future();
  auto first = std::async(std::launch::async,
                          [&] { return writer.Write("a", "d", "id-a", 100, build); });
  sent.wait();  // the first write holds key "a" and waits in Flush
  auto second = writer.Write("a", "d", "id-a", 100, build);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), core::StatusCode::kAborted);
  sink.release_.set_value();
  auto done = first.get();
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(done.value().result, WriteResult::kAppended);
  // Released: the key is free again, and the retry is a duplicate.
  EXPECT_EQ(writer.Write("a", "d", "id-a", 100, build).value().result, WriteResult::kDuplicate);
}

}  // namespace
}  // namespace chainflow::api::handlers
