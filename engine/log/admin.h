#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"

namespace chainflow::engine::log {

struct Watermarks {
  core::Offset low;   // first offset still in the log
  core::Offset high;  // offset the next record will get
};

// A consumer group's members and the partitions each holds
// (Admin::DescribeGroup).
struct GroupMember {
  std::string member_id;
  std::string instance_id;  // group.instance.id of a static member, else ""
  std::string client_id;
  std::string host;
  std::vector<TopicPartition> partitions;
};
struct GroupDescription {
  std::string group_id;
  std::string state;  // "Stable", "PreparingRebalance", "Empty", "Dead", ...
  std::vector<GroupMember> members;
};

// A topic to create (Admin::CreateTopics).
struct NewTopic {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::map<std::string, std::string> configs;  // topic configs (e.g. retention.ms)
};

// Topic administration and position queries. Thread-safe.
class Admin {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout{30000};
  // `request_timeout` bounds each request and position query (admin
  // requests, watermarks, committed offsets, reading a partition's last
  // record); metadata waits at most 5 s. A monitoring client wants it short:
  // a broker that goes away mid-query holds a call this long.
  static core::Result<std::unique_ptr<Admin>> Open(
      const std::string& brokers, std::chrono::milliseconds request_timeout = kRequestTimeout);
  ~Admin();

  // Creates the topic; an existing topic is fine (its partition count is
  // left alone). `configs` are topic configs (e.g. retention.ms).
  core::Status CreateTopic(const std::string& name, int partitions, int replication_factor,
                           const std::map<std::string, std::string>& configs = {});
  // The same for several topics in one request; returns once every one is
  // visible in the metadata with a leader for each partition.
  core::Status CreateTopics(const std::vector<NewTopic>& topics);
  core::Status DeleteTopics(const std::vector<std::string>& names);
  // The names of the cluster's topics (internal ones such as
  // __consumer_offsets included), sorted.
  core::Result<std::vector<std::string>> ListTopics();
  // NotFound if the topic does not exist.
  core::Result<int> PartitionCount(const std::string& topic);
  // `high` is the end a read_committed reader reaches: the last stable
  // offset, which a transaction still open on the partition holds back.
  core::Result<Watermarks> QueryWatermarks(const std::string& topic, core::PartitionId partition);
  // The offset the next record will get (the high watermark proper): the
  // records of transactions still open, and their markers, included. Minus
  // QueryWatermarks' `high`, what an open transaction holds back from
  // read_committed readers (a SIGKILLed producer's until the broker aborts
  // it after transaction.timeout.ms).
  core::Result<core::Offset> QueryHighWatermark(const std::string& topic,
                                                core::PartitionId partition);
  // The last data record of the partition (skipping transaction markers),
  // or nullopt if it holds none.
  core::Result<std::optional<Record>> ReadLastRecord(const std::string& topic,
                                                     core::PartitionId partition);
  // The data records among the last `count` offsets of the partition (fewer
  // where transaction markers or aborted records sit), oldest first.
  core::Result<std::vector<Record>> ReadLastRecords(const std::string& topic,
                                                    core::PartitionId partition, size_t count);
  // The group's committed next offsets for `partitions` (kOffsetBeginning
  // where nothing is committed). Offsets of a transaction still open are not
  // waited for: the last committed ones are returned.
  core::Result<std::vector<TopicPartitionOffset>> CommittedOffsets(
      const std::string& group_id, const std::vector<TopicPartition>& partitions);
  // The group's state and members (none for a group nobody has joined).
  core::Result<GroupDescription> DescribeGroup(const std::string& group_id);

 private:
  struct Impl;
  explicit Admin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::engine::log
