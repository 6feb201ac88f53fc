#include "engine/log/admin.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "engine/core/logging.h"
#include "engine/log/internal/rdkafka.h"

namespace chainflow::engine::log {

using internal::StatusFromError;

namespace {

constexpr int kMetadataTimeoutMs = 5000;
constexpr auto kTopicVisibleTimeout = std::chrono::seconds(30);

// Waits for the result event of an admin request on `queue` (the request
// itself times out after `timeout_ms`).
core::Result<internal::EventPtr> WaitForResult(rd_kafka_queue_t* queue, int timeout_ms,
                                               std::string_view what) {
  internal::EventPtr event(rd_kafka_queue_poll(queue, timeout_ms + 5000));
  if (!event) return core::DeadlineExceededError(fmt::format("{}: no answer", what));
  RETURN_IF_ERROR(StatusFromError(rd_kafka_event_error(event.get()), what));
  return event;
}

// Per-topic results of CreateTopics/DeleteTopics.
core::Status TopicResults(const rd_kafka_topic_result_t** results, size_t count,
                          std::string_view what, rd_kafka_resp_err_t acceptable) {
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == acceptable) continue;
    const char* detail = rd_kafka_topic_result_error_string(results[i]);
    core::Status status = StatusFromError(
        err, fmt::format("{} {}", what, rd_kafka_topic_result_name(results[i])));
    return status.WithContext(detail != nullptr ? detail : "");
  }
  return core::Status::Ok();
}

// The offset of `partition` at `which` (RD_KAFKA_OFFSET_BEGINNING or
// RD_KAFKA_OFFSET_END; for END a read_committed handle gets the last stable
// offset) from one ListOffsets request, given up after `timeout_ms`. Not
// rd_kafka_query_watermark_offsets: in the librdkafka Debian ships (2.0.2) it
// waits for a partition leader that is down until the broker is back,
// whatever its timeout (librdkafka #2588, fixed in 2.3.0), and held every
// status collection, and /readyz with it, for as long as an outage lasted.
core::Result<int64_t> ListOffset(rd_kafka_t* rk, const std::string& topic,
                                 core::PartitionId partition, int64_t which, int timeout_ms,
                                 std::string_view what) {
  internal::PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_t* tp =
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition.value());
  tp->offset = which;
  RETURN_IF_ERROR(StatusFromError(rd_kafka_offsets_for_times(rk, list.get(), timeout_ms), what));
  RETURN_IF_ERROR(StatusFromError(tp->err, what));
  return tp->offset;
}

// Low and high watermarks of `partition` in two ListOffsets requests (one
// per end, as a broker answers one offset per partition and request), both
// within `timeout_ms`.
core::Result<Watermarks> ListWatermarks(rd_kafka_t* rk, const std::string& topic,
                                        core::PartitionId partition, int timeout_ms,
                                        std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  ASSIGN_OR_RETURN(int64_t low,
                   ListOffset(rk, topic, partition, RD_KAFKA_OFFSET_BEGINNING, timeout_ms, what));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  ASSIGN_OR_RETURN(int64_t high,
                   ListOffset(rk, topic, partition, RD_KAFKA_OFFSET_END,
                              static_cast<int>(std::max<int64_t>(1, left.count())), what));
  return Watermarks{core::Offset(low), core::Offset(high)};
}

}  // namespace

struct Admin::Impl {
  std::string brokers;
  int request_timeout_ms = 0;  // every request and position query (Admin::Open)
  internal::KafkaPtr rk;  // producer-type handle: admin requests and metadata
  // A read_uncommitted consumer handle for QueryHighWatermark (ListOffsets
  // answers a read_committed client, as `rk` is by librdkafka's default
  // isolation.level, with the last stable offset); made at first use.
  std::mutex uncommitted_mu;
  internal::KafkaPtr uncommitted;

  core::Result<internal::AdminOptionsPtr> Options(rd_kafka_admin_op_t op) {
    internal::AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk.get(), op));
    char errstr[512];
    if (rd_kafka_AdminOptions_set_request_timeout(options.get(), request_timeout_ms, errstr,
                                                  sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        (op != RD_KAFKA_ADMIN_OP_ANY && op != RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS &&
         rd_kafka_AdminOptions_set_operation_timeout(options.get(), request_timeout_ms, errstr,
                                                     sizeof(errstr)) !=
             RD_KAFKA_RESP_ERR_NO_ERROR)) {
      return core::InvalidArgumentError(fmt::format("admin options: {}", errstr));
    }
    return options;
  }

  // The topic's metadata: partitions with their leaders, or NotFound.
  core::Result<int> Partitions(const std::string& topic, bool require_leaders) {
    internal::TopicPtr handle(rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr));
    const rd_kafka_metadata_t* raw = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk.get(), /*all_topics=*/0, handle.get(), &raw, kMetadataTimeoutMs);
    RETURN_IF_ERROR(StatusFromError(err, fmt::format("metadata of {}", topic)));
    internal::MetadataPtr md(raw);
    for (int i = 0; i < md->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& t = md->topics[i];
      if (topic != t.topic) continue;
      RETURN_IF_ERROR(StatusFromError(t.err, fmt::format("metadata of {}", topic)));
      if (t.partition_cnt <= 0) return core::NotFoundError(fmt::format("topic {}", topic));
      if (require_leaders) {
        for (int p = 0; p < t.partition_cnt; ++p) {
          if (t.partitions[p].err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partitions[p].leader < 0) {
            return core::UnavailableError(
                fmt::format("topic {} partition {} has no leader yet", topic, p));
          }
        }
      }
      return t.partition_cnt;
    }
    return core::NotFoundError(fmt::format("topic {} not in metadata", topic));
  }

  // A short-lived consumer for position queries (never subscribes).
  // `read_committed` also makes committed-offset reads wait for stable
  // offsets (KIP-447): while a transaction holding offsets for the group is
  // open they are retried, after a crash until the transaction times out.
  core::Result<internal::KafkaPtr> TemporaryConsumer(const std::string& group_id, bool eof,
                                                     bool read_committed = true) {
    ASSIGN_OR_RETURN(internal::ConfPtr conf,
                     internal::NewConf({{"bootstrap.servers", brokers},
                                        {"client.id", "chainflow-admin"},
                                        {"group.id", group_id},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"enable.partition.eof", eof ? "true" : "false"},
                                        {"isolation.level", read_committed
                                                                ? "read_committed"
                                                                : "read_uncommitted"},
                                        {"allow.auto.create.topics", "false"},
                                        // Short reads: an idle partition answers EOF at once
                                        // instead of after the default 500 ms fetch wait.
                                        {"fetch.wait.max.ms", "10"}}));
    ASSIGN_OR_RETURN(internal::KafkaPtr consumer,
                     internal::NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
    RETURN_IF_ERROR(
        StatusFromError(rd_kafka_poll_set_consumer(consumer.get()), "poll_set_consumer"));
    return consumer;
  }

  // Every data record from offset `start` to the partition's end.
  core::Result<std::vector<Record>> RecordsFrom(rd_kafka_t* consumer, const std::string& topic,
                                                core::PartitionId partition, int64_t start,
                                                std::chrono::steady_clock::time_point deadline);
};

core::Result<std::vector<Record>> Admin::Impl::RecordsFrom(
    rd_kafka_t* consumer, const std::string& topic, core::PartitionId partition, int64_t start,
    std::chrono::steady_clock::time_point deadline) {
  internal::PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition.value())->offset = start;
  RETURN_IF_ERROR(StatusFromError(rd_kafka_assign(consumer, list.get()), "assign"));
  std::vector<Record> records;
  // enable.partition.eof: the EOF event marks the end (high watermark, or the
  // last stable offset under read_committed), also past trailing markers.
  while (std::chrono::steady_clock::now() < deadline) {
    internal::MessagePtr msg(rd_kafka_consumer_poll(consumer, 200));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rd_kafka_assign(consumer, nullptr);
      return records;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_assign(consumer, nullptr);
      return StatusFromError(msg->err, fmt::format("reading {}/{}", topic, partition.value()));
    }
    records.push_back(internal::CopyRecord(msg.get()));
  }
  rd_kafka_assign(consumer, nullptr);
  return core::DeadlineExceededError(
      fmt::format("reading the end of {}/{} from {}", topic, partition.value(), start));
}

Admin::Admin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Admin::~Admin() = default;

core::Result<std::unique_ptr<Admin>> Admin::Open(const std::string& brokers,
                                                 std::chrono::milliseconds request_timeout) {
  auto impl = std::make_unique<Impl>();
  impl->brokers = brokers;
  impl->request_timeout_ms = static_cast<int>(request_timeout.count());
  ASSIGN_OR_RETURN(internal::ConfPtr conf,
                   internal::NewConf({{"bootstrap.servers", brokers},
                                      {"client.id", "chainflow-admin"},
                                      {"allow.auto.create.topics", "false"}}));
  ASSIGN_OR_RETURN(impl->rk, internal::NewClient(RD_KAFKA_PRODUCER, std::move(conf)));
  return std::unique_ptr<Admin>(new Admin(std::move(impl)));
}

core::Status Admin::CreateTopic(const std::string& name, int partitions, int replication_factor,
                                const std::map<std::string, std::string>& configs) {
  return CreateTopics({NewTopic{name, partitions, replication_factor, configs}});
}

core::Status Admin::CreateTopics(const std::vector<NewTopic>& topics) {
  if (topics.empty()) return core::Status::Ok();
  const std::string what = topics.size() == 1
                               ? fmt::format("create topic {}", topics[0].name)
                               : fmt::format("create {} topics", topics.size());
  std::vector<internal::NewTopicPtr> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  for (const NewTopic& t : topics) {
    char errstr[512];
    owned.emplace_back(rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor,
                                             errstr, sizeof(errstr)));
    if (!owned.back()) {
      return core::InvalidArgumentError(fmt::format("create topic {}: {}", t.name, errstr));
    }
    for (const auto& [key, value] : t.configs) {
      RETURN_IF_ERROR(StatusFromError(
          rd_kafka_NewTopic_set_config(owned.back().get(), key.c_str(), value.c_str()),
          fmt::format("create topic {}: config '{}'", t.name, key)));
    }
    raw.push_back(owned.back().get());
  }
  ASSIGN_OR_RETURN(internal::AdminOptionsPtr options,
                   impl_->Options(RD_KAFKA_ADMIN_OP_CREATETOPICS));
  internal::QueuePtr queue(rd_kafka_queue_new(impl_->rk.get()));
  rd_kafka_CreateTopics(impl_->rk.get(), raw.data(), raw.size(), options.get(), queue.get());
  ASSIGN_OR_RETURN(internal::EventPtr event,
                   WaitForResult(queue.get(), impl_->request_timeout_ms, what));
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event.get()), &count);
  RETURN_IF_ERROR(TopicResults(results, count, "create topic",
                               RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS));
  // The controller has them; wait until the metadata (and so producers and
  // consumers) sees each with leaders for every partition, and until each
  // leader answers for its partition: the metadata can name a leader a
  // moment before that broker serves it (NOT_LEADER_FOR_PARTITION). One
  // request for all and a short poll: a start-up creates ten topics, which
  // took a second one by one at 100 ms a wait.
  const auto deadline = std::chrono::steady_clock::now() + kTopicVisibleTimeout;
  auto wait = [&](const std::string& topic, auto ready) -> core::Status {
    while (true) {
      core::Status status = ready();
      if (status.ok()) return status;
      if (std::chrono::steady_clock::now() >= deadline) {
        return core::DeadlineExceededError(
            fmt::format("create topic {}: not ready: {}", topic, status.ToString()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  for (const NewTopic& t : topics) {
    int partitions = 0;
    RETURN_IF_ERROR(wait(t.name, [&]() -> core::Status {
      ASSIGN_OR_RETURN(partitions, impl_->Partitions(t.name, /*require_leaders=*/true));
      return core::Status::Ok();
    }));
    for (int p = 0; p < partitions; ++p) {
      RETURN_IF_ERROR(wait(t.name, [&]() -> core::Status {
        ASSIGN_OR_RETURN(Watermarks marks, QueryWatermarks(t.name, core::PartitionId(p)));
        (void)marks;
        return core::Status::Ok();
      }));
    }
  }
  return core::Status::Ok();
}

core::Status Admin::DeleteTopics(const std::vector<std::string>& names) {
  if (names.empty()) return core::Status::Ok();
  std::vector<internal::DeleteTopicPtr> owned;
  std::vector<rd_kafka_DeleteTopic_t*> raw;
  for (const std::string& name : names) {
    owned.emplace_back(rd_kafka_DeleteTopic_new(name.c_str()));
    raw.push_back(owned.back().get());
  }
  ASSIGN_OR_RETURN(internal::AdminOptionsPtr options,
                   impl_->Options(RD_KAFKA_ADMIN_OP_DELETETOPICS));
  internal::QueuePtr queue(rd_kafka_queue_new(impl_->rk.get()));
  rd_kafka_DeleteTopics(impl_->rk.get(), raw.data(), raw.size(), options.get(), queue.get());
  ASSIGN_OR_RETURN(internal::EventPtr event,
                   WaitForResult(queue.get(), impl_->request_timeout_ms, "delete topics"));
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(event.get()), &count);
  // Deleting a topic that is already gone is fine (rebuild is idempotent).
  return TopicResults(results, count, "delete topic", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
}

core::Result<std::vector<std::string>> Admin::ListTopics() {
  const rd_kafka_metadata_t* raw = nullptr;
  RETURN_IF_ERROR(StatusFromError(
      rd_kafka_metadata(impl_->rk.get(), /*all_topics=*/1, nullptr, &raw, kMetadataTimeoutMs),
      "metadata of all topics"));
  internal::MetadataPtr md(raw);
  std::vector<std::string> names;
  for (int i = 0; i < md->topic_cnt; ++i) names.emplace_back(md->topics[i].topic);
  std::sort(names.begin(), names.end());
  return names;
}

core::Result<int> Admin::PartitionCount(const std::string& topic) {
  return impl_->Partitions(topic, /*require_leaders=*/false);
}

core::Result<Watermarks> Admin::QueryWatermarks(const std::string& topic,
                                                core::PartitionId partition) {
  return ListWatermarks(impl_->rk.get(), topic, partition, impl_->request_timeout_ms,
                        fmt::format("watermarks of {}/{}", topic, partition.value()));
}

core::Result<core::Offset> Admin::QueryHighWatermark(const std::string& topic,
                                                     core::PartitionId partition) {
  std::lock_guard lock(impl_->uncommitted_mu);
  if (!impl_->uncommitted) {
    ASSIGN_OR_RETURN(impl_->uncommitted,
                     impl_->TemporaryConsumer(fmt::format("chainflow-admin-{}", ::getpid()),
                                              /*eof=*/false, /*read_committed=*/false));
  }
  ASSIGN_OR_RETURN(int64_t high,
                   ListOffset(impl_->uncommitted.get(), topic, partition, RD_KAFKA_OFFSET_END,
                              impl_->request_timeout_ms,
                              fmt::format("high watermark of {}/{}", topic, partition.value())));
  return core::Offset(high);
}

core::Result<std::optional<Record>> Admin::ReadLastRecord(const std::string& topic,
                                                          core::PartitionId partition) {
  ASSIGN_OR_RETURN(Watermarks marks, QueryWatermarks(topic, partition));
  const int64_t low = marks.low.value();
  const int64_t high = marks.high.value();
  if (high <= low) return std::optional<Record>();
  ASSIGN_OR_RETURN(internal::KafkaPtr consumer,
                   impl_->TemporaryConsumer(fmt::format("chainflow-admin-{}", ::getpid()),
                                            /*eof=*/true));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(impl_->request_timeout_ms);
  // Usually the last offset is the record (or a transaction marker right
  // after it); widen the window while it holds only markers/aborted records.
  int64_t window = 16;
  while (true) {
    const int64_t start = std::max(low, high - window);
    ASSIGN_OR_RETURN(std::vector<Record> records,
                     impl_->RecordsFrom(consumer.get(), topic, partition, start, deadline));
    if (!records.empty()) return std::optional<Record>(std::move(records.back()));
    if (start == low) return std::optional<Record>();
    window *= 16;
  }
}

core::Result<std::vector<Record>> Admin::ReadLastRecords(const std::string& topic,
                                                         core::PartitionId partition,
                                                         size_t count) {
  ASSIGN_OR_RETURN(Watermarks marks, QueryWatermarks(topic, partition));
  const int64_t low = marks.low.value();
  const int64_t high = marks.high.value();
  if (high <= low || count == 0) return std::vector<Record>();
  ASSIGN_OR_RETURN(internal::KafkaPtr consumer,
                   impl_->TemporaryConsumer(fmt::format("chainflow-admin-{}", ::getpid()),
                                            /*eof=*/true));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(impl_->request_timeout_ms);
  const int64_t start = high - low > static_cast<int64_t>(count)
                            ? high - static_cast<int64_t>(count)
                            : low;
  return impl_->RecordsFrom(consumer.get(), topic, partition, start, deadline);
}

core::Result<std::vector<TopicPartitionOffset>> Admin::CommittedOffsets(
    const std::string& group_id, const std::vector<TopicPartition>& partitions) {
  if (group_id.empty()) return core::InvalidArgumentError("CommittedOffsets: empty group_id");
  // Offsets as last committed, without waiting for a transaction in flight
  // (or one a killed processor left open) to end: monitoring must not hang.
  ASSIGN_OR_RETURN(internal::KafkaPtr consumer,
                   impl_->TemporaryConsumer(group_id, false, /*read_committed=*/false));
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value());
  }
  RETURN_IF_ERROR(StatusFromError(
      rd_kafka_committed(consumer.get(), list.get(), impl_->request_timeout_ms),
      fmt::format("committed offsets of group {}", group_id)));
  std::vector<TopicPartitionOffset> out;
  out.reserve(partitions.size());
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    RETURN_IF_ERROR(StatusFromError(
        tp.err, fmt::format("committed offset of group {} for {}/{}", group_id, tp.topic,
                            tp.partition)));
    out.push_back({tp.topic, core::PartitionId(tp.partition),
                   tp.offset < 0 ? kOffsetBeginning : core::Offset(tp.offset)});
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

core::Result<GroupDescription> Admin::DescribeGroup(const std::string& group_id) {
  ASSIGN_OR_RETURN(internal::AdminOptionsPtr options,
                   impl_->Options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
  internal::QueuePtr queue(rd_kafka_queue_new(impl_->rk.get()));
  const char* groups[] = {group_id.c_str()};
  rd_kafka_DescribeConsumerGroups(impl_->rk.get(), groups, 1, options.get(), queue.get());
  const std::string what = fmt::format("describe group {}", group_id);
  ASSIGN_OR_RETURN(internal::EventPtr event,
                   WaitForResult(queue.get(), impl_->request_timeout_ms, what));
  size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** found =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
  GroupDescription out;
  out.group_id = group_id;
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_ConsumerGroupDescription_t* g = found[i];
    if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(g)) {
      return StatusFromError(rd_kafka_error_code(error), what)
          .WithContext(rd_kafka_error_string(error));
    }
    out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
    const size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
    for (size_t m = 0; m < members; ++m) {
      const rd_kafka_MemberDescription_t* d = rd_kafka_ConsumerGroupDescription_member(g, m);
      auto text = [](const char* s) { return s != nullptr ? std::string(s) : std::string(); };
      GroupMember member{text(rd_kafka_MemberDescription_consumer_id(d)),
                         text(rd_kafka_MemberDescription_group_instance_id(d)),
                         text(rd_kafka_MemberDescription_client_id(d)),
                         text(rd_kafka_MemberDescription_host(d)),
                         {}};
      if (const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(d)) {
        if (const rd_kafka_topic_partition_list_t* list = rd_kafka_MemberAssignment_partitions(a)) {
          for (int p = 0; p < list->cnt; ++p) {
            member.partitions.push_back(
                {list->elems[p].topic, core::PartitionId(list->elems[p].partition)});
          }
        }
      }
      out.members.push_back(std::move(member));
    }
  }
  return out;
}

}  // namespace chainflow::engine::log
