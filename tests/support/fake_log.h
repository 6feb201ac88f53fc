#pragma once

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
  friend class FakeTransactionalSink;
  engine::log::Record AppendLocked(const engine::log::OutRecord& record);
  std::map<std::string, std::map<engine::log::TopicPartition, engine::core::Offset>> groups_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int32_t, std::vector<engine::log::Record>>> topics_;
  engine::core::Status next_flush_;
};

// See FakeLog::NewTransactionalSink. One transaction at a time.
class FakeTransactionalSink : public engine::log::TransactionalSink {
 public:
  explicit FakeTransactionalSink(FakeLog& log) : log_(log) {}

  engine::core::Status Send(const engine::log::OutRecord& record) override;
  engine::core::Status Flush(std::chrono::milliseconds timeout) override;
  engine::core::Status BeginTransaction() override;
  engine::core::Status SendOffsetsToTransaction(
      const std::vector<engine::log::TopicPartitionOffset>& offsets, const std::string& group_id,
      std::chrono::milliseconds timeout) override;
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
