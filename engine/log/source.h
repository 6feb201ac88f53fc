#pragma once

#include <chrono>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"

namespace chainflow::engine::log {

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
};

}  // namespace chainflow::engine::log
