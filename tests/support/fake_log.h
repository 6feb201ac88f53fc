#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/log/sink.h"
#include "engine/log/source.h"

namespace chainflow::testing {

// An in-memory log: topics of partitions of records. The sink side appends
// (optionally failing the next Flush on demand); sources read from it.
// Thread-safe.
class FakeLog : public engine::log::RecordSink {
 public:
  engine::core::Status Send(const engine::log::OutRecord& record) override;
  engine::core::Status Flush(std::chrono::milliseconds timeout) override;

  // Makes the next Flush fail with `status` (records already sent stay, as
  // with a real broker that appended some of them).
  void FailNextFlush(engine::core::Status status);

  // Appends directly (test input).
  void Append(const std::string& topic, int32_t partition, std::string key, std::string value);

  std::vector<engine::log::Record> Read(const std::string& topic, int32_t partition) const;
  std::vector<engine::log::Record> ReadAll(const std::string& topic) const;
  int64_t EndOffset(const std::string& topic, int32_t partition) const;

  // A source over this log.
  std::unique_ptr<engine::log::RecordSource> NewSource();
  // A member of consumer group `group` over this log (FakeGroupSource).
  std::unique_ptr<class FakeGroupSource> NewGroupSource(const std::string& group);

  // A rebalance of `group`: its generation moves on, and SendOffsetsToTransaction
  // refuses (Aborted) a membership of an older generation.
  int BumpGeneration(const std::string& group);

  // A transactional writer over this log (one per runner): records sent in
  // a transaction reach the log only when it commits, as read_committed
  // readers see them.
  std::unique_ptr<class FakeTransactionalSink> NewTransactionalSink();

  // Reads each partition of `from` to its end (Task::ReadChangelog).
  engine::core::Status ReadToEnd(
      const std::vector<engine::log::TopicPartitionOffset>& from,
      const std::function<engine::core::Status(const engine::log::Record&)>& fn) const;

  // The offsets committed for `group` through transactions.
  std::map<engine::log::TopicPartition, engine::core::Offset> GroupOffsets(
      const std::string& group) const;

 private:
  friend class FakeSource;
  friend class FakeGroupSource;
  std::map<std::string, int> generations_;
  friend class FakeTransactionalSink;
  engine::log::Record AppendLocked(const engine::log::OutRecord& record);
  // Up to `max` records from each partition's next offset on, moving them.
  std::vector<engine::log::Record> ReadFrom(
      std::map<engine::log::TopicPartition, int64_t>& positions, size_t max) const;
  std::map<std::string, std::map<engine::log::TopicPartition, engine::core::Offset>> groups_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int32_t, std::vector<engine::log::Record>>> topics_;
  engine::core::Status next_flush_;
};

// A consumer-group member over a FakeLog. The test plays the coordinator:
// Give / Take queue a rebalance that the next Poll delivers to the listener
// (each one a new generation of the group, FakeLog::BumpGeneration) before it
// reads. Membership() is the generation the member saw at its last Poll; a
// frozen member (Freeze: paused, its session expired) keeps an old one and
// is fenced, as a zombie is.
class FakeGroupSource : public engine::log::RecordSource {
 public:
  FakeGroupSource(FakeLog& log, std::string group) : log_(log), group_(std::move(group)) {}

  engine::core::Status Assign(const std::vector<engine::log::TopicPartitionOffset>&) override;
  engine::core::Result<std::vector<engine::log::Record>> Poll(
      size_t max_records, std::chrono::milliseconds timeout) override;
  engine::core::Result<std::vector<engine::log::TopicPartitionOffset>> ReadPositions() override;
  engine::core::Status Subscribe(const std::vector<std::string>& topics,
                                 engine::log::RebalanceListener listener) override;
  engine::core::Status Seek(
      const std::vector<engine::log::TopicPartitionOffset>& positions) override;
  engine::core::Result<engine::log::GroupMetadata> Membership() override;

  // The group gives / takes partitions at the next Poll (`lost`: the member
  // was dropped). Thread-safe.
  void Give(std::vector<engine::log::TopicPartition> partitions);
  void Take(std::vector<engine::log::TopicPartition> partitions, bool lost = false);
  // While frozen the member does not learn of newer generations.
  void Freeze(bool frozen) { frozen_ = frozen; }
  // The coordinator fenced this member for good (a static member's
  // FENCED_INSTANCE_ID): every Poll fails and FatalError says why.
  void Fence() { fenced_ = true; }
  engine::core::Status FatalError() override;
  // Partitions this member reads now.
  std::vector<engine::log::TopicPartition> Owned() const;

 private:
  struct Change {
    bool give = true;
    bool lost = false;
    std::vector<engine::log::TopicPartition> partitions;
  };
  FakeLog& log_;
  std::string group_;
  engine::log::RebalanceListener listener_;
  mutable std::mutex mu_;
  std::vector<Change> pending_;  // guarded by mu_
  std::map<engine::log::TopicPartition, int64_t> positions_;
  int generation_ = 0;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> fenced_{false};
};

// See FakeLog::NewTransactionalSink. One transaction at a time.
class FakeTransactionalSink : public engine::log::TransactionalSink {
 public:
  explicit FakeTransactionalSink(FakeLog& log) : log_(log) {}

  engine::core::Status Send(const engine::log::OutRecord& record) override;
  engine::core::Status Flush(std::chrono::milliseconds timeout) override;
  engine::core::Status BeginTransaction() override;
  engine::core::Status SendOffsetsToTransaction(
      const std::vector<engine::log::TopicPartitionOffset>& offsets,
      const engine::log::GroupMetadata& group, std::chrono::milliseconds timeout) override;
  engine::core::Result<engine::log::AppendedOffsets> CommitTransaction(
      std::chrono::milliseconds timeout) override;
  engine::core::Status AbortTransaction(std::chrono::milliseconds timeout) override;

  // The next CommitTransaction returns `status`; the transaction lands all
  // the same when `lands` (a commit whose answer was lost).
  void FailNextCommit(engine::core::Status status, bool lands);
  int commits() const { return commits_; }
  int aborts() const { return aborts_; }

 private:
  FakeLog& log_;
  bool open_ = false;
  std::vector<engine::log::OutRecord> pending_;
  std::vector<std::pair<std::string, engine::log::TopicPartitionOffset>> pending_offsets_;
  engine::core::Status fail_commit_;
  bool fail_lands_ = false;
  int commits_ = 0;
  int aborts_ = 0;
};

}  // namespace chainflow::testing
