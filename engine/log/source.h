#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"

namespace chainflow::engine::log {

// What a group member is told when its partitions change (RecordSource::
// Subscribe). Both run on the polling thread, inside Poll.
struct RebalanceListener {
  // The group gave these partitions to this member: returns where to read
  // each from (every one of them; one left out is not read until a later
  // rebalance gives it again). Partitions of one topic come in order.
  std::function<std::vector<TopicPartitionOffset>(const std::vector<TopicPartition>&)> assigned;
  // Taken away. `lost`: the member was dropped from the group (its session
  // expired), so another member may already own and write for them.
  std::function<void(const std::vector<TopicPartition>&, bool lost)> revoked;
};

// Where records are read from, with explicit positions. Implemented by
// Consumer (Kafka) and by fakes in tests. Not thread-safe: one owner thread.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Replaces the assignment: reads each partition from its offset.
  virtual core::Status Assign(const std::vector<TopicPartitionOffset>& assignment) = 0;
  // Up to `max_records` records, waiting at most `timeout` for the first.
  // Empty when nothing arrived. Records of one partition come in offset
  // order. Partition EOF is not an error.
  virtual core::Result<std::vector<Record>> Poll(size_t max_records,
                                                 std::chrono::milliseconds timeout) = 0;
  // How far each assigned partition has been read: the offset after the last
  // record Poll returned, or past the transaction markers read after it (a
  // read_committed reader never sees markers, so a position taken from
  // records alone stays one short of the end of a transactional topic).
  // Partitions not read yet are left out.
  virtual core::Result<std::vector<TopicPartitionOffset>> ReadPositions() = 0;
  // The end (high watermark) of each assigned partition as the reader last
  // learnt it from the broker, without asking: for lag gauges. Partitions
  // whose end is not known yet are left out (all of them by default).
  virtual core::Result<std::vector<TopicPartitionOffset>> KnownEnds() {
    return std::vector<TopicPartitionOffset>{};
  }

  // Group membership instead of Assign: the group decides which partitions
  // this member reads, and changes it as members join, leave or die.
  // `listener` is called from Poll, on the polling thread, before Poll
  // returns any record of a newly assigned partition, and after which Poll
  // returns no record of a revoked one. Not every source supports it.
  virtual core::Status Subscribe(const std::vector<std::string>& topics,
                                 RebalanceListener listener) {
    (void)topics;
    (void)listener;
    return core::UnimplementedError("this record source cannot join a consumer group");
  }
  // Moves the read position of assigned partitions (after a batch was
  // dropped, to read it again).
  virtual core::Status Seek(const std::vector<TopicPartitionOffset>& positions) {
    (void)positions;
    return core::UnimplementedError("this record source cannot seek");
  }
  // The group and, once subscribed and assigned, this member's membership
  // (for SendOffsetsToTransaction).
  virtual core::Result<GroupMetadata> Membership() {
    return core::UnimplementedError("this record source has no group membership");
  }
  // Non-ok once the source can no longer be used and must be replaced: a
  // static group member whose instance id the coordinator handed to a newer
  // member (FENCED_INSTANCE_ID, fatal in librdkafka) reads nothing again.
  virtual core::Status FatalError() { return core::Status::Ok(); }
};

}  // namespace chainflow::engine::log
