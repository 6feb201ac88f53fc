#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/strong_id.h"

namespace chainflow::engine::log {

struct Header {
  std::string key;
  std::string value;
};

// A record read from a topic. Owns its bytes.
struct Record {
  std::string topic;
  core::PartitionId partition;
  core::Offset offset;
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int64_t timestamp_ms = 0;
  bool tombstone = false;  // the value is null (a compaction tombstone), not empty

  // The first header named `key`, or nullptr.
  const std::string* FindHeader(std::string_view key) const;
};

// A record to append. The partition is always chosen by the caller
// (PartitionForKey, or every partition for markers) so placement is
// deterministic and known to the writer.
struct OutRecord {
  std::string topic;
  core::PartitionId partition;
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int64_t timestamp_ms = 0;  // 0: the broker's append time
  // Append a null value (`value` must be empty): in a compacted topic, the
  // key's deletion.
  bool tombstone = false;
};

struct TopicPartition {
  std::string topic;
  core::PartitionId partition;
  auto operator<=>(const TopicPartition&) const = default;
};

// Special start offsets for Assign().
inline constexpr core::Offset kOffsetBeginning{-2};
inline constexpr core::Offset kOffsetEnd{-1};

struct TopicPartitionOffset {
  std::string topic;
  core::PartitionId partition;
  core::Offset offset;  // the next offset to read
};

// Kafka's default partitioner (murmur2 of the key, as the Java client and
// librdkafka's "murmur2_random" do), so other clients agree on placement.
core::PartitionId PartitionForKey(std::string_view key, int32_t partition_count);

}  // namespace chainflow::engine::log
