#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/log/record.h"

namespace chainflow::engine::log {

// Where records are appended. Implemented by Producer (Kafka) and by fakes
// in tests. Thread-safe.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Enqueues `record` (copied). Unavailable/ResourceExhausted when the
  // client cannot take it now (retry); FailedPrecondition when fenced.
  virtual core::Status Send(const OutRecord& record) = 0;
  // Waits until every record enqueued so far is acknowledged. Returns the
  // first delivery error since the previous Flush (then the records after the
  // failure may or may not have been appended: the caller redoes its batch).
  // DeadlineExceeded means only that `timeout` passed with records still in
  // flight: they stay queued and a later Flush waits for them again (a
  // failed delivery, even one the client timed out, is never
  // DeadlineExceeded).
  virtual core::Status Flush(std::chrono::milliseconds timeout) = 0;
};

// The highest offset a transaction appended per partition.
using AppendedOffsets = std::map<TopicPartition, core::Offset>;

// Whom input offsets sent with a transaction belong to: a consumer group, and
// for a member of that group its membership (librdkafka's serialized
// consumer group metadata: member id and generation). With a membership the
// broker refuses the offsets, and so the transaction, of a member that no
// longer owns its partitions (a zombie fenced by a rebalance, as Kafka
// Streams EOS v2 fences). Without one the group must have no members.
struct GroupMetadata {
  std::string group_id;
  std::string membership;  // empty: no member (generation -1)
};

// A sink whose appends are grouped in transactions (Kafka's transactional
// producer): the records Sent between BeginTransaction and CommitTransaction,
// and the consumer offsets given to SendOffsetsToTransaction, become visible
// to read_committed readers together or not at all. One transaction at a
// time; used by one thread.
//
// Errors: Aborted means the transaction must be aborted and redone;
// FailedPrecondition means this writer was fenced by a newer one with the
// same transactional id (stop); Unavailable/DeadlineExceeded are retried by
// the caller (after AbortTransaction).
class TransactionalSink : public RecordSink {
 public:
  virtual core::Status BeginTransaction() = 0;
  // Commits `offsets` (next offsets to read) for `group` as part of the open
  // transaction. Aborted when the group no longer counts `group.membership`
  // as a member owning them (the transaction must be aborted).
  virtual core::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                                const GroupMetadata& group,
                                                std::chrono::milliseconds timeout) = 0;
  // Flushes and commits; on success returns where the transaction's records
  // landed (the highest offset per partition it appended to).
  virtual core::Result<AppendedOffsets> CommitTransaction(std::chrono::milliseconds timeout) = 0;
  // Drops the open transaction's records (none of them is ever read by a
  // read_committed reader).
  virtual core::Status AbortTransaction(std::chrono::milliseconds timeout) = 0;
};

}  // namespace chainflow::engine::log
