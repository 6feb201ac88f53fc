#include "projections/nft/projector.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/projections/events.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::nft {
namespace {

using engine::log::Record;
using engine::log::TopicPartition;
using engine::log::TopicPartitionOffset;
using testing::Addr;
using testing::MakeLog;
using testing::QueryText;
using namespace std::chrono_literals;

const std::string kTopic = "cf.nft.ownership";

// An in-memory topic shared by the test and the sources it hands out.
// Poll waits (up to its timeout) for records, like a consumer.
class MemoryTopic {
 public:
  void Append(int32_t partition, std::string value) {
    std::lock_guard lock(mu_);
    auto& part = partitions_[partition];
    part.push_back(testing::MakeRecord(kTopic, partition, static_cast<int64_t>(part.size()),
                                       std::move(value)));
    cv_.notify_all();
  }
  int64_t End(int32_t partition) {
    std::lock_guard lock(mu_);
    return static_cast<int64_t>(partitions_[partition].size());
  }
  // At most this many records per Poll, as a consumer hands out what it has
  // fetched so far. 0: no limit.
  void LimitPolls(size_t n) {
    std::lock_guard lock(mu_);
    per_poll_ = n;
  }
  void FailNextPolls(int n, core::Status status) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) poll_failures_.push_back(status);
  }
  std::vector<std::vector<TopicPartitionOffset>> assignments() {
    std::lock_guard lock(mu_);
    return assignments_;
  }

  class Source : public engine::log::RecordSource {
   public:
    explicit Source(MemoryTopic& topic) : topic_(topic) {}
    core::Status Assign(const std::vector<TopicPartitionOffset>& assignment) override {
      std::lock_guard lock(topic_.mu_);
      topic_.assignments_.push_back(assignment);
      positions_.clear();
      for (const auto& a : assignment) {
        positions_[a.partition.value()] = a.offset.value() < 0 ? 0 : a.offset.value();
      }
      return core::Status::Ok();
    }
    core::Result<std::vector<Record>> Poll(size_t max_records,
                                           std::chrono::milliseconds timeout) override {
      std::unique_lock lock(topic_.mu_);
      if (!topic_.poll_failures_.empty()) {
        core::Status s = topic_.poll_failures_.front();
        topic_.poll_failures_.pop_front();
        return s;
      }
      std::vector<Record> out;
      if (topic_.per_poll_ > 0) max_records = std::min(max_records, topic_.per_poll_);
      auto fill = [&] {
        for (auto& [p, next] : positions_) {
          auto& part = topic_.partitions_[p];
          while (next < static_cast<int64_t>(part.size()) && out.size() < max_records) {
            out.push_back(part[next++]);
          }
        }
        return !out.empty();
      };
      topic_.cv_.wait_for(lock, timeout, fill);
      return out;
    }
    // No transaction markers here: positions come from records alone.
    core::Result<std::vector<TopicPartitionOffset>> ReadPositions() override {
      return std::vector<TopicPartitionOffset>{};
    }
    core::Result<std::vector<TopicPartitionOffset>> KnownEnds() override {
      std::lock_guard lock(topic_.mu_);
      std::vector<TopicPartitionOffset> out;
      for (const auto& [p, next] : positions_) {
        out.push_back({kTopic, core::PartitionId(p),
                       core::Offset(static_cast<int64_t>(topic_.partitions_[p].size()))});
      }
      return out;
    }

   private:
    MemoryTopic& topic_;
    std::map<int32_t, int64_t> positions_;
  };

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int32_t, std::vector<Record>> partitions_;
  std::deque<core::Status> poll_failures_;
  std::vector<std::vector<TopicPartitionOffset>> assignments_;
  size_t per_poll_ = 0;
};

// A DLQ sink that keeps what it is sent.
class MemorySink : public engine::log::RecordSink {
 public:
  core::Status Send(const engine::log::OutRecord& record) override {
    std::lock_guard lock(mu_);
    sent_.push_back(record);
    return core::Status::Ok();
  }
  core::Status Flush(std::chrono::milliseconds) override { return core::Status::Ok(); }
  std::vector<engine::log::OutRecord> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::vector<engine::log::OutRecord> sent_;
};

pg::ProjectorOptions Options(int32_t partitions) {
  core::Config config;
  config.engine.projection_batch_size = 16;
  config.engine.batch_wait_ms = 20;
  pg::ProjectorOptions o = ProjectorOptionsFor(config, partitions);
  o.initial_backoff = 5ms;
  o.max_backoff = 50ms;
  return o;
}

pg::OffsetMap Ends(MemoryTopic& topic, int32_t partitions) {
  pg::OffsetMap out;
  for (int32_t p = 0; p < partitions; ++p) {
    out[{kTopic, core::PartitionId(p)}] = core::Offset(topic.End(p));
  }
  return out;
}

std::unique_ptr<pg::Projector> OpenTestProjector(MemoryTopic& topic, int32_t partitions,
                                         engine::log::RecordSink* dlq = nullptr) {
  auto conn = pg::Connection::Open(testing::TestDatabaseUrl());
  if (!conn) return nullptr;
  auto projector =
      OpenProjector(Options(partitions), std::make_unique<MemoryTopic::Source>(topic),
                      std::move(conn).value(), dlq);
  EXPECT_TRUE(projector) << projector.error().ToString();
  return projector ? std::move(projector).value() : nullptr;
}

// Appends `n` owner changes of tokens [first, first + n) to 3 partitions.
void AppendMints(MemoryTopic& topic, int first, int n) {
  for (int i = first; i < first + n; ++i) {
    topic.Append(i % 3, testing::OwnerChanged(MakeLog("eth", Addr(1), 1 + i, 0), i, Addr(0),
                                              Addr(static_cast<uint8_t>(1 + i % 9))));
  }
}

TEST(ProjectorTest, ConsumesEveryPartitionAndResumesFromStoredOffsets) {
  ASSERT_TRUE(testing::FreshSchema());
  MemoryTopic topic;
  AppendMints(topic, 0, 100);
  {
    auto projector = OpenTestProjector(topic, 3);
    ASSERT_TRUE(projector);
    ASSERT_TRUE(projector->Start().ok());
    ASSERT_TRUE(projector->Start().ok());  // idempotent
    core::Status s = projector->WaitForOffsets(Ends(topic, 3), 30s);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(projector->Positions(), Ends(topic, 3));
    projector->Stop();
    projector->Stop();  // idempotent
    EXPECT_EQ(projector->Start().code(), core::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "100");

  // A new projector starts where the stored offsets say.
  AppendMints(topic, 100, 20);
  auto projector = OpenTestProjector(topic, 3);
  ASSERT_TRUE(projector);
  ASSERT_TRUE(projector->Start().ok());
  ASSERT_TRUE(projector->WaitForOffsets(Ends(topic, 3), 30s).ok());
  auto assignments = topic.assignments();
  ASSERT_EQ(assignments.size(), 2u);
  ASSERT_EQ(assignments[1].size(), 3u);
  for (const auto& a : assignments[0]) EXPECT_EQ(a.offset, engine::log::kOffsetBeginning);
  for (const auto& a : assignments[1]) {
    EXPECT_EQ(a.offset.value(), a.partition.value() == 0 ? 34 : 33);
  }
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "120");
}

TEST(ProjectorTest, DeadLettersUndecodableRecords) {
  ASSERT_TRUE(testing::FreshSchema());
  MemoryTopic topic;
  MemorySink dlq;
  AppendMints(topic, 0, 5);
  topic.Append(1, "not an envelope \xff");
  AppendMints(topic, 5, 5);
  auto projector = OpenTestProjector(topic, 3, &dlq);
  ASSERT_TRUE(projector);
  ASSERT_TRUE(projector->Start().ok());
  ASSERT_TRUE(projector->WaitForOffsets(Ends(topic, 3), 30s).ok());
  auto sent = dlq.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "cf.dlq");
  EXPECT_EQ(sent[0].value, "not an envelope \xff");
  std::map<std::string, std::string> headers;
  for (const auto& h : sent[0].headers) headers[h.key] = h.value;
  EXPECT_EQ(headers["cf_source_topic"], kTopic);
  EXPECT_EQ(headers["cf_source_partition"], "1");
  EXPECT_EQ(headers["cf_source_offset"], "2");
  EXPECT_NE(headers["cf_error"].find("InvalidArgument"), std::string::npos);
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "10");
}

TEST(ProjectorTest, RedoesAbortedBatchesAndSurvivesPollErrorsAndLostConnections) {
  auto conn = testing::FreshSchema();
  ASSERT_TRUE(conn);
  // The first two transactions touching token 7 fail with a serialization
  // failure (a sequence is not rolled back, so it counts attempts).
  ASSERT_TRUE(conn->ExecuteInTransaction(R"sql(
CREATE SEQUENCE chainflow.attempts;
CREATE FUNCTION chainflow.conflict_on_7() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token_id = 7 AND nextval('chainflow.attempts') <= 2 THEN
    RAISE EXCEPTION 'injected conflict' USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER conflict_on_7 BEFORE INSERT OR UPDATE ON chainflow.nft_owners
  FOR EACH ROW EXECUTE FUNCTION chainflow.conflict_on_7();
)sql")
                  .ok());
  MemoryTopic topic;
  topic.FailNextPolls(2, core::UnavailableError("broker down"));
  AppendMints(topic, 0, 30);
  auto projector = OpenTestProjector(topic, 3);
  ASSERT_TRUE(projector);
  ASSERT_TRUE(projector->Start().ok());
  core::Status s = projector->WaitForOffsets(Ends(topic, 3), 30s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "30");
  EXPECT_EQ(QueryText("SELECT last_value FROM chainflow.attempts"), "3");

  // Kill the projector's session: the next batch reconnects and goes through.
  ASSERT_TRUE(conn->ExecuteInTransaction(
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  AppendMints(topic, 30, 10);
  s = projector->WaitForOffsets(Ends(topic, 3), 30s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "40");
  EXPECT_TRUE(projector->status().ok());
}

// The server reached after a lost session may not hold commits it had
// acknowledged (a failover to a replica that had not received them). Here
// all of them are lost: rows and stored offsets deleted, then the session
// killed. The projector must
// read its input again from the stored offsets, not only redo the batch in
// hand (which left 10 of 40 rows).
TEST(ProjectorTest, AfterALostSessionItRereadsFromTheStoredOffsets) {
  auto conn = testing::FreshSchema();
  ASSERT_TRUE(conn);
  MemoryTopic topic;
  AppendMints(topic, 0, 30);
  auto projector = OpenTestProjector(topic, 3);
  ASSERT_TRUE(projector);
  ASSERT_TRUE(projector->Start().ok());
  core::Status s = projector->WaitForOffsets(Ends(topic, 3), 30s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "30");

  ASSERT_TRUE(conn->ExecuteInTransaction("TRUNCATE chainflow.nft_owners; "
                                         "DELETE FROM chainflow.projection_offsets")
                  .ok());
  ASSERT_TRUE(conn->ExecuteInTransaction(
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                  .ok());
  AppendMints(topic, 30, 10);
  s = projector->WaitForOffsets(Ends(topic, 3), 30s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "40");
  EXPECT_TRUE(projector->status().ok());
  // The first assignment, and the rewind's from nothing stored.
  ASSERT_EQ(topic.assignments().size(), 2u);
  for (const TopicPartitionOffset& a : topic.assignments().back()) {
    EXPECT_LT(a.offset.value(), 0) << "partition " << a.partition.value();
  }
}

TEST(ProjectorTest, AFatalErrorStopsTheLoopAndIsReported) {
  auto conn = testing::FreshSchema();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteInTransaction("ALTER TABLE chainflow.nft_owners ADD CONSTRAINT "
                                         "no_token_5 CHECK (token_id <> 5)")
                  .ok());
  MemoryTopic topic;
  AppendMints(topic, 0, 10);
  auto projector = OpenTestProjector(topic, 3);
  ASSERT_TRUE(projector);
  ASSERT_TRUE(projector->Start().ok());
  core::Status s = projector->WaitForOffsets(Ends(topic, 3), 30s);
  EXPECT_EQ(s.code(), core::StatusCode::kInternal) << s.ToString();
  EXPECT_EQ(projector->status().code(), core::StatusCode::kInternal);
}

// Records the size of every batch it is asked to apply; applies nothing.
// Records the size and context of every batch it is asked to apply, and
// counts the empty polls (Idle); applies nothing.
class BatchSizes : public pg::BatchProjection {
 public:
  BatchSizes(std::vector<size_t>& sizes, std::vector<pg::BatchContext>* contexts,
             std::atomic<int>* idles)
      : sizes_(sizes), contexts_(contexts), idles_(idles) {}
  core::Status ApplyBatch(const std::vector<Record>& batch,
                          const pg::BatchContext& context) override {
    sizes_.push_back(batch.size());
    if (contexts_) contexts_->push_back(context);
    return core::Status::Ok();
  }
  core::Status Idle() override {
    if (idles_) ++*idles_;
    return core::Status::Ok();
  }

 private:
  std::vector<size_t>& sizes_;
  std::vector<pg::BatchContext>* contexts_;
  std::atomic<int>* idles_;
};

// The batches a projector applies to 100 records handed out 10 per poll
// (their contexts into `contexts`, the empty polls after them counted in
// `idles`, when given).
std::vector<size_t> BatchesOf100(size_t batch_size, size_t bulk_records,
                                 std::chrono::milliseconds linger,
                                 std::vector<pg::BatchContext>* contexts = nullptr,
                                 std::atomic<int>* idles = nullptr) {
  MemoryTopic topic;
  topic.LimitPolls(10);
  AppendMints(topic, 0, 100);
  pg::ProjectorOptions options = Options(3);
  options.batch_size = batch_size;
  options.bulk_records = bulk_records;
  options.linger = linger;
  std::vector<size_t> sizes;
  auto conn = pg::Connection::Open(testing::TestDatabaseUrl());
  EXPECT_TRUE(conn.has_value());
  if (!conn.has_value()) return {};
  auto projector = pg::Projector::Open(
      options, std::make_unique<MemoryTopic::Source>(topic), std::move(conn).value(), nullptr,
      [&sizes, contexts, idles](pg::Connection&, engine::log::RecordSink*, const std::string&) {
        return std::make_unique<BatchSizes>(sizes, contexts, idles);
      });
  EXPECT_TRUE(projector.has_value()) << projector.error().ToString();
  if (!projector.has_value()) return {};
  EXPECT_TRUE(projector.value()->Start().ok());
  core::Status s = projector.value()->WaitForOffsets(Ends(topic, 3), 30s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; idles && *idles == 0 && i < 1000; ++i) std::this_thread::sleep_for(5ms);
  projector.value()->Stop();
  return sizes;
}

TEST(ProjectorTest, EachBatchKnowsWhatWasAppliedAndWhatFollowsAndTheHeadIsIdle) {
  ASSERT_TRUE(testing::FreshSchema());
  std::vector<pg::BatchContext> contexts;
  std::atomic<int> idles = 0;
  EXPECT_EQ(BatchesOf100(40, 10, 30s, &contexts, &idles), std::vector<size_t>({40, 40, 20}));
  ASSERT_EQ(contexts.size(), 3u);
  auto triple = [](const pg::BatchContext& c) {
    return std::vector<uint64_t>{c.records, c.applied, c.backlog};
  };
  EXPECT_EQ(triple(contexts[0]), (std::vector<uint64_t>{40, 0, 60}));
  EXPECT_EQ(triple(contexts[1]), (std::vector<uint64_t>{40, 40, 20}));
  EXPECT_EQ(triple(contexts[2]), (std::vector<uint64_t>{20, 80, 0}));
  EXPECT_GT(idles, 0);
}

TEST(ProjectorTest, BulkPollsAreGatheredIntoOneTransactionUpToTheBatchSize) {
  ASSERT_TRUE(testing::FreshSchema());
  // Polls of 10 count as bulk: they are gathered until a poll finds nothing.
  EXPECT_EQ(BatchesOf100(1000, 10, 30s), std::vector<size_t>({100}));
  // ... or until the batch size.
  EXPECT_EQ(BatchesOf100(40, 10, 30s), std::vector<size_t>({40, 40, 20}));
  // Polls below the bulk size (live traffic) are applied as they come.
  EXPECT_EQ(BatchesOf100(1000, 11, 30s), std::vector<size_t>(10, 10));
  // No linger: as they come too.
  EXPECT_EQ(BatchesOf100(1000, 10, 0ms), std::vector<size_t>(10, 10));
}

// Stamps each batch it prepares with its first offset and thread; applying
// one records what it was handed and takes a while, so the next batch's
// Prepare overlaps it.
class PreparesAhead : public pg::BatchProjection {
 public:
  struct Stamp : pg::PreparedBatch {
    int64_t first = -1;
    std::thread::id thread;
  };
  struct Step {
    int64_t first = -1;           // the batch's first offset
    int64_t prepared_first = -1;  // the first offset of what it was handed
    std::thread::id prepared_on, applied_on;
    std::chrono::steady_clock::time_point applied_from, applied_to;
  };
  struct Log {
    std::mutex mu;
    std::vector<Step> steps;
    std::vector<std::chrono::steady_clock::time_point> prepared_at;  // Prepare calls
  };
  explicit PreparesAhead(Log& log) : log_(log) {}

  std::unique_ptr<pg::PreparedBatch> Prepare(const std::vector<Record>& batch) const override {
    {
      std::lock_guard lock(log_.mu);
      log_.prepared_at.push_back(std::chrono::steady_clock::now());
    }
    auto stamp = std::make_unique<Stamp>();
    stamp->first = batch.front().offset.value();
    stamp->thread = std::this_thread::get_id();
    return stamp;
  }
  core::Status ApplyBatch(const std::vector<Record>& batch,
                          const pg::BatchContext& context) override {
    Step step;
    step.first = batch.front().offset.value();
    step.applied_on = std::this_thread::get_id();
    step.applied_from = std::chrono::steady_clock::now();
    if (const auto* stamp = dynamic_cast<const Stamp*>(context.prepared)) {
      step.prepared_first = stamp->first;
      step.prepared_on = stamp->thread;
    }
    std::this_thread::sleep_for(20ms);
    step.applied_to = std::chrono::steady_clock::now();
    std::lock_guard lock(log_.mu);
    log_.steps.push_back(step);
    return core::Status::Ok();
  }

 private:
  Log& log_;
};

TEST(ProjectorTest, TheNextBatchIsPreparedOnASecondThreadWhileOneIsApplied) {
  ASSERT_TRUE(testing::FreshSchema());
  MemoryTopic topic;
  topic.LimitPolls(10);
  AppendMints(topic, 0, 100);
  pg::ProjectorOptions options = Options(1);
  options.batch_size = 10;
  options.bulk_records = 1000;  // every poll is its own batch
  PreparesAhead::Log log;
  auto conn = pg::Connection::Open(testing::TestDatabaseUrl());
  ASSERT_TRUE(conn.has_value());
  auto projector = pg::Projector::Open(
      options, std::make_unique<MemoryTopic::Source>(topic), std::move(conn).value(), nullptr,
      [&log](pg::Connection&, engine::log::RecordSink*, const std::string&) {
        return std::make_unique<PreparesAhead>(log);
      });
  ASSERT_TRUE(projector.has_value()) << projector.error().ToString();
  ASSERT_TRUE(projector.value()->Start().ok());
  ASSERT_TRUE(projector.value()->WaitForOffsets(Ends(topic, 1), 30s).ok());
  projector.value()->Stop();

  std::lock_guard lock(log.mu);
  // Partition 0 holds every third of the 100 records: 34, in polls of 10.
  ASSERT_EQ(log.steps.size(), 4u);
  int overlapped = 0;
  for (size_t i = 0; i < log.steps.size(); ++i) {
    const PreparesAhead::Step& step = log.steps[i];
    EXPECT_EQ(step.first, static_cast<int64_t>(i * 10));
    EXPECT_EQ(step.prepared_first, step.first) << "batch " << i << " got another's";
    // Every batch but the first was prepared while the one before it was
    // applied, on the second thread.
    if (i == 0) continue;
    EXPECT_NE(step.prepared_on, step.applied_on) << i;
    const auto& before = log.steps[i - 1];
    for (const auto& at : log.prepared_at) {
      if (at > before.applied_from && at < before.applied_to) {
        ++overlapped;
        break;
      }
    }
  }
  EXPECT_GT(overlapped, 0);
}

TEST(ProjectorTest, WaitForOffsetsTimesOut) {
  ASSERT_TRUE(testing::FreshSchema());
  MemoryTopic topic;
  auto projector = OpenTestProjector(topic, 1);
  ASSERT_TRUE(projector);
  ASSERT_TRUE(projector->Start().ok());
  pg::OffsetMap target{{{kTopic, core::PartitionId(0)}, core::Offset(5)}};
  EXPECT_EQ(projector->WaitForOffsets(target, 50ms).code(),
            core::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(projector->WaitForOffsets({{{kTopic, core::PartitionId(0)}, core::Offset(0)}}, 0ms)
                  .ok());
}

}  // namespace
}  // namespace chainflow::projections::nft
