#pragma once

#include <map>
#include <memory>
#include <string>

#include "engine/core/result.h"
#include "engine/log/sink.h"

namespace chainflow::engine::log {

struct ProducerOptions {
  std::string brokers;
  std::string client_id = "chainflow";
  // Non-empty: a transactional producer with this id (exactly_once).
  std::string transactional_id;
  // Extra librdkafka properties (override the defaults).
  std::map<std::string, std::string> properties;
};

// An idempotent librdkafka producer (enable.idempotence=true, acks=all,
// lz4, linger tuned for throughput). Thread-safe. With a transactional_id
// it is also a TransactionalSink (used by one thread at a time); without
// one, the transaction methods return FailedPrecondition.
class Producer : public TransactionalSink {
 public:
  static core::Result<std::unique_ptr<Producer>> Open(const ProducerOptions& options);
  ~Producer() override;

  core::Status Send(const OutRecord& record) override;
  core::Status Flush(std::chrono::milliseconds timeout) override;

  // Transactions (only with a transactional_id).
  core::Status BeginTransaction() override;
  core::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                        const GroupMetadata& group,
                                        std::chrono::milliseconds timeout) override;
  core::Result<AppendedOffsets> CommitTransaction(std::chrono::milliseconds timeout) override;
  core::Status AbortTransaction(std::chrono::milliseconds timeout) override;

 private:
  struct Impl;
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::engine::log
