#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>

#include "engine/core/result.h"
#include "engine/log/source.h"

namespace chainflow::engine::log {

struct ConsumerOptions {
  std::string brokers;
  // The group: with Assign(), only the name committed offsets are reported
  // under (monitoring, lag); with Subscribe(), the group this consumer joins
  // (it then decides the partitions, never the offsets: the listener does).
  std::string group_id;
  std::string client_id = "chainflow";
  bool read_committed = true;  // skip aborted transactional records
  // Copy record headers into Record::headers. Processors read only the
  // value, and skipping header parsing is measurably cheaper.
  bool with_headers = true;
  std::map<std::string, std::string> properties;
};

// A librdkafka consumer, with manual assignment (Assign) or as a member of a
// consumer group (Subscribe; the assignor, session timeout and static
// membership come from `properties`). Not thread-safe: one owner.
class Consumer : public RecordSource {
 public:
  static core::Result<std::unique_ptr<Consumer>> Open(const ConsumerOptions& options);
  ~Consumer() override;

  core::Status Assign(const std::vector<TopicPartitionOffset>& assignment) override;
  core::Result<std::vector<Record>> Poll(size_t max_records,
                                         std::chrono::milliseconds timeout) override;
  core::Result<std::vector<TopicPartitionOffset>> ReadPositions() override;
  core::Result<std::vector<TopicPartitionOffset>> KnownEnds() override;
  core::Status Subscribe(const std::vector<std::string>& topics,
                         RebalanceListener listener) override;
  core::Status Seek(const std::vector<TopicPartitionOffset>& positions) override;
  core::Result<GroupMetadata> Membership() override;
  core::Status FatalError() override;

  // Reports `next_offsets` as the group's committed offsets (asynchronous,
  // informational: chainflow's own offsets live with its state).
  core::Status CommitAsync(const std::vector<TopicPartitionOffset>& next_offsets);

  // Reads every partition of `from`, each from its offset, up to its end as
  // of the call, with a short-lived consumer of its own, calling `fn` for
  // each record (offset order within a partition; stops at fn's first
  // error). For read_committed the end is the high watermark: transactions
  // open at the call (or committed with their markers not yet written) are
  // waited for, and their records read if they commit. A start offset past
  // the partition's end is DataLoss; DeadlineExceeded after `timeout`;
  // Cancelled soon after `stop` is requested (a stopping runner does not wait
  // out a broker outage). For restoring state from a changelog.
  static core::Status ReadToEnd(const ConsumerOptions& options,
                                const std::vector<TopicPartitionOffset>& from,
                                const std::function<core::Status(const Record&)>& fn,
                                std::chrono::milliseconds timeout,
                                std::stop_token stop = {});

  struct Impl;  // public only so librdkafka's callbacks can reach it

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::engine::log
