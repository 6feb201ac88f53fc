#include "engine/log/consumer.h"

#include <fmt/format.h>

#include <unistd.h>

#include <map>
#include <set>
#include <unordered_map>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/log/internal/rdkafka.h"

namespace chainflow::engine::log {

using internal::StatusFromError;

namespace {

std::map<std::string, std::string> ConsumerProperties(const ConsumerOptions& options) {
  std::map<std::string, std::string> p = {
      {"client.id", options.client_id},
      // librdkafka needs a group for assign(); without one we use a private
      // name and never commit under it.
      {"group.id", options.group_id.empty()
                       ? fmt::format("chainflow-unassigned-{}", ::getpid())
                       : options.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"isolation.level", options.read_committed ? "read_committed" : "read_uncommitted"},
      // Positions come from our own state; one the log no longer holds is an
      // error (DataLoss), never a silent jump.
      {"auto.offset.reset", "error"},
      {"allow.auto.create.topics", "false"},
      // Throughput: big per-partition fetches and a prefetch queue that keeps
      // the processing thread busy without hogging memory on a small box.
      {"fetch.min.bytes", "1"},
      {"fetch.wait.max.ms", "100"},
      {"max.partition.fetch.bytes", "4194304"},
      {"queued.min.messages", "100000"},
      {"queued.max.messages.kbytes", "32768"},
  };
  if (!options.brokers.empty()) p["bootstrap.servers"] = options.brokers;
  for (const auto& [name, value] : options.properties) p[name] = value;
  return p;
}

int64_t ToKafkaOffset(core::Offset offset) {
  if (offset == kOffsetBeginning) return RD_KAFKA_OFFSET_BEGINNING;
  if (offset == kOffsetEnd) return RD_KAFKA_OFFSET_END;
  return offset.value();
}

void CommitCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                    rd_kafka_topic_partition_list_t* /*offsets*/, void* /*opaque*/) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  static const auto logger = core::Logger("engine.log");
  logger->warn("{}: offset commit failed: {}", rd_kafka_name(rk), rd_kafka_err2str(err));
}

}  // namespace

struct Consumer::Impl {
  std::string group_id;
  internal::KafkaPtr rk;
  internal::QueuePtr queue;  // the consumer queue, for batch reads
  bool has_group = false;
  bool with_headers = true;
  // An error seen after records were collected: returned by the next Poll.
  core::Status pending_error;
  std::unordered_map<std::string, core::Counter*> consumed;
  // Group membership (Subscribe).
  RebalanceListener listener;
  // The records the running Poll has collected: a revocation drops those of
  // the partitions it takes away.
  std::vector<Record>* collecting = nullptr;

  ~Impl() {
    // Closing leaves the group, which revokes every partition: the listener's
    // owner may be half destroyed by now.
    listener = {};
    queue.reset();  // every queue reference goes before the handle
    if (rk) {
      rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk.get());
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        core::Logger("engine.log")->warn("consumer close: {}", rd_kafka_err2str(err));
      }
      // Destroyed here, while every member its callbacks reach is alive
      // (as a member, `rk` would outlive only `group_id`), and without the
      // implicit second close rd_kafka_destroy makes when the first one
      // failed (a fatal, fenced member), whose rebalance callback would
      // land in this half-destroyed Impl.
      rd_kafka_destroy_flags(rk.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
  }

  core::Counter& ConsumedCounter(const std::string& topic) {
    auto it = consumed.find(topic);
    if (it != consumed.end()) return *it->second;
    core::Counter& counter = core::MetricsRegistry::Global().GetCounter(
        "chainflow_log_consumed_records_total", "Records read from the log", {{"topic", topic}});
    consumed.emplace(topic, &counter);
    return counter;
  }

  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
};

namespace {

core::Status MessageError(const rd_kafka_message_t* msg) {
  std::string where =
      msg->rkt != nullptr
          ? fmt::format("consuming {}/{} at {}", rd_kafka_topic_name(msg->rkt), msg->partition,
                        msg->offset)
          : std::string("consuming");
  return StatusFromError(msg->err, where);
}

void RebalanceCallback(rd_kafka_t* /*rk*/, rd_kafka_resp_err_t err,
                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<Consumer::Impl*>(opaque)->OnRebalance(err, partitions);
}

std::vector<TopicPartition> PartitionsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, core::PartitionId(list->elems[i].partition)});
  }
  return out;
}

internal::PartitionListPtr ListOf(const std::vector<TopicPartitionOffset>& offsets) {
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const TopicPartitionOffset& tpo : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tpo.topic.c_str(), tpo.partition.value())
        ->offset = ToKafkaOffset(tpo.offset);
  }
  return list;
}

}  // namespace

void Consumer::Impl::OnRebalance(rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* partitions) {
  static const auto logger = core::Logger("engine.log");
  rd_kafka_t* handle = rk.get();
  // NULL when the protocol is not known (no longer in a group: a member
  // fenced or closing); a string_view of NULL crashed a stopping instance.
  const char* protocol = rd_kafka_rebalance_protocol(handle);
  const bool cooperative = protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::vector<TopicPartitionOffset> from;
    if (listener.assigned) from = listener.assigned(PartitionsOf(partitions));
    internal::PartitionListPtr list = ListOf(from);
    core::Status st =
        cooperative
            ? StatusFromError(internal::ErrorPtr(rd_kafka_incremental_assign(handle, list.get())),
                              "incremental_assign")
            : StatusFromError(rd_kafka_assign(handle, list.get()), "assign");
    if (!st.ok() && pending_error.ok()) pending_error = std::move(st);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    const std::vector<TopicPartition> revoked = PartitionsOf(partitions);
    if (collecting != nullptr) {
      std::erase_if(*collecting, [&](const Record& r) {
        return std::find(revoked.begin(), revoked.end(),
                         TopicPartition{r.topic, r.partition}) != revoked.end();
      });
    }
    if (listener.revoked) listener.revoked(revoked, rd_kafka_assignment_lost(handle) != 0);
    core::Status st =
        cooperative ? StatusFromError(
                          internal::ErrorPtr(rd_kafka_incremental_unassign(handle, partitions)),
                          "incremental_unassign")
                    : StatusFromError(rd_kafka_assign(handle, nullptr), "unassign");
    if (!st.ok()) logger->warn("{}: {}", rd_kafka_name(handle), st.ToString());
    return;
  }
  logger->warn("{}: rebalance failed: {}", rd_kafka_name(handle), rd_kafka_err2str(err));
  if (listener.revoked) listener.revoked(PartitionsOf(partitions), /*lost=*/true);
  rd_kafka_assign(handle, nullptr);
}

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Consumer::~Consumer() = default;

core::Result<std::unique_ptr<Consumer>> Consumer::Open(const ConsumerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->has_group = !options.group_id.empty();
  impl->group_id = options.group_id;
  impl->with_headers = options.with_headers;
  ASSIGN_OR_RETURN(internal::ConfPtr conf, internal::NewConf(ConsumerProperties(options)));
  rd_kafka_conf_set_offset_commit_cb(conf.get(), &CommitCallback);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &RebalanceCallback);
  rd_kafka_conf_set_opaque(conf.get(), impl.get());
  ASSIGN_OR_RETURN(impl->rk, internal::NewClient(RD_KAFKA_CONSUMER, std::move(conf)));
  // Route everything (messages, errors, commit results) to the consumer queue.
  RETURN_IF_ERROR(StatusFromError(rd_kafka_poll_set_consumer(impl->rk.get()), "poll_set_consumer"));
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

core::Status Consumer::Assign(const std::vector<TopicPartitionOffset>& assignment) {
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(assignment.size())));
  for (const TopicPartitionOffset& tpo : assignment) {
    rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(
        list.get(), tpo.topic.c_str(), tpo.partition.value());
    tp->offset = ToKafkaOffset(tpo.offset);
  }
  impl_->pending_error = core::Status::Ok();
  return StatusFromError(rd_kafka_assign(impl_->rk.get(), list.get()), "assign");
}

core::Result<std::vector<Record>> Consumer::Poll(size_t max_records,
                                                 std::chrono::milliseconds timeout) {
  if (!impl_->pending_error.ok()) {
    core::Status error = std::move(impl_->pending_error);
    impl_->pending_error = core::Status::Ok();
    return error;
  }
  std::vector<Record> records;
  impl_->collecting = &records;  // a revocation inside the polls below drops its records
  struct Done {
    Impl* impl;
    ~Done() { impl->collecting = nullptr; }
  } done{impl_.get()};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (records.size() < max_records) {
    // Wait (up to the deadline) only for the first record; then take what is
    // already fetched and return.
    int wait_ms = 0;
    if (records.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      wait_ms = internal::TimeoutMs(left);
    }
    internal::MessagePtr msg(rd_kafka_consumer_poll(impl_->rk.get(), wait_ms));
    if (!msg) {
      if (records.empty() && wait_ms > 0) continue;  // woke early (e.g. a served callback)
      break;
    }
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      core::Status error = MessageError(msg.get());
      if (records.empty()) return error;
      impl_->pending_error = std::move(error);
      break;
    }
    records.push_back(internal::CopyRecord(msg.get(), impl_->with_headers));
    break;  // the rest in batches below
  }
  // Take what is already fetched in batches: one queue operation per chunk
  // instead of one poll per message.
  if (!impl_->queue && !records.empty()) {
    impl_->queue.reset(rd_kafka_queue_get_consumer(impl_->rk.get()));
  }
  rd_kafka_message_t* chunk[512];
  while (!records.empty() && records.size() < max_records && impl_->pending_error.ok()) {
    size_t want = std::min<size_t>(std::size(chunk), max_records - records.size());
    ssize_t n = rd_kafka_consume_batch_queue(impl_->queue.get(), 0, chunk, want);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      internal::MessagePtr msg(chunk[i]);
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // The error is returned by the next Poll; records already taken off
        // the queue (this chunk's others) are still handed out, never dropped.
        if (impl_->pending_error.ok()) impl_->pending_error = MessageError(msg.get());
        continue;
      }
      records.push_back(internal::CopyRecord(msg.get(), impl_->with_headers));
    }
  }
  // One counter update per topic run (a batch is usually one partition).
  for (size_t i = 0; i < records.size();) {
    size_t j = i;
    while (j < records.size() && records[j].topic == records[i].topic) ++j;
    impl_->ConsumedCounter(records[i].topic).Inc(j - i);
    i = j;
  }
  return records;
}

core::Status Consumer::FatalError() {
  char reason[512];
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(impl_->rk.get(), reason, sizeof(reason));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return core::Status::Ok();
  return core::FailedPreconditionError(
      fmt::format("consumer fatal error {}: {}", rd_kafka_err2name(err), reason));
}

core::Result<std::vector<TopicPartitionOffset>> Consumer::ReadPositions() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  RETURN_IF_ERROR(StatusFromError(rd_kafka_assignment(impl_->rk.get(), &raw), "assignment"));
  internal::PartitionListPtr list(raw);
  // librdkafka's application position moves past control records (commit
  // and abort markers) as the poll serves them.
  RETURN_IF_ERROR(StatusFromError(rd_kafka_position(impl_->rk.get(), list.get()), "position"));
  std::vector<TopicPartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0) continue;
    out.push_back({tp.topic, core::PartitionId(tp.partition), core::Offset(tp.offset)});
  }
  return out;
}

core::Result<std::vector<TopicPartitionOffset>> Consumer::KnownEnds() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  RETURN_IF_ERROR(StatusFromError(rd_kafka_assignment(impl_->rk.get(), &raw), "assignment"));
  internal::PartitionListPtr list(raw);
  std::vector<TopicPartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    int64_t low = RD_KAFKA_OFFSET_INVALID;
    int64_t high = RD_KAFKA_OFFSET_INVALID;
    // The watermarks of the last fetch response (no request is made).
    if (rd_kafka_get_watermark_offsets(impl_->rk.get(), tp.topic, tp.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    out.push_back({tp.topic, core::PartitionId(tp.partition), core::Offset(high)});
  }
  return out;
}

core::Status Consumer::Subscribe(const std::vector<std::string>& topics,
                                 RebalanceListener listener) {
  if (!impl_->has_group) {
    return core::InvalidArgumentError("Subscribe: the consumer has no group_id");
  }
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& topic : topics) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  impl_->listener = std::move(listener);
  return StatusFromError(rd_kafka_subscribe(impl_->rk.get(), list.get()),
                         fmt::format("subscribe to {} topic(s) in group {}", topics.size(),
                                     impl_->group_id));
}

core::Status Consumer::Seek(const std::vector<TopicPartitionOffset>& positions) {
  if (positions.empty()) return core::Status::Ok();
  internal::PartitionListPtr list = ListOf(positions);
  RETURN_IF_ERROR(StatusFromError(
      internal::ErrorPtr(rd_kafka_seek_partitions(impl_->rk.get(), list.get(), 10000)), "seek"));
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    RETURN_IF_ERROR(StatusFromError(
        tp.err, fmt::format("seek {}/{} to {}", tp.topic, tp.partition, tp.offset)));
  }
  return core::Status::Ok();
}

core::Result<GroupMetadata> Consumer::Membership() {
  std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                  decltype(&rd_kafka_consumer_group_metadata_destroy)>
      metadata(rd_kafka_consumer_group_metadata(impl_->rk.get()),
               &rd_kafka_consumer_group_metadata_destroy);
  if (!metadata) {
    return core::FailedPreconditionError(
        fmt::format("consumer of group {} has no group metadata", impl_->group_id));
  }
  void* buffer = nullptr;
  size_t size = 0;
  RETURN_IF_ERROR(StatusFromError(
      internal::ErrorPtr(rd_kafka_consumer_group_metadata_write(metadata.get(), &buffer, &size)),
      "consumer_group_metadata_write"));
  GroupMetadata out{impl_->group_id, std::string(static_cast<const char*>(buffer), size)};
  rd_kafka_mem_free(impl_->rk.get(), buffer);
  return out;
}

core::Status Consumer::CommitAsync(const std::vector<TopicPartitionOffset>& next_offsets) {
  if (!impl_->has_group || next_offsets.empty()) return core::Status::Ok();
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
  for (const TopicPartitionOffset& tpo : next_offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tpo.topic.c_str(), tpo.partition.value())
        ->offset = tpo.offset.value();
  }
  return StatusFromError(rd_kafka_commit(impl_->rk.get(), list.get(), /*async=*/1),
                         "commit offsets");
}

core::Status Consumer::ReadToEnd(const ConsumerOptions& options,
                                 const std::vector<TopicPartitionOffset>& from,
                                 const std::function<core::Status(const Record&)>& fn,
                                 std::chrono::milliseconds timeout,
                                 std::stop_token stop) {
  if (from.empty()) return core::Status::Ok();
  ConsumerOptions own = options;
  own.group_id.clear();  // a private group: nothing is committed
  own.properties["enable.partition.eof"] = "true";
  // The end is usually reached at once (a store already up to date): do not
  // let the broker hold an empty fetch for the usual 100 ms.
  own.properties.emplace("fetch.wait.max.ms", "10");
  ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, Open(own));
  RETURN_IF_ERROR(consumer->Assign(from));
  // Partition -> the offset its end must reach: unknown (-1) until its
  // first end of partition.
  std::map<TopicPartition, int64_t> open;
  for (const TopicPartitionOffset& tpo : from) open[{tpo.topic, tpo.partition}] = -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  rd_kafka_t* rk = consumer->impl_->rk.get();
  while (!open.empty()) {
    if (stop.stop_requested()) {
      return core::CancelledError(fmt::format(
          "reading {} partition(s) to their end: stopped (first open: {}/{})", open.size(),
          open.begin()->first.topic, open.begin()->first.partition.value()));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      const auto& [tp, target] = *open.begin();
      return core::DeadlineExceededError(fmt::format(
          "reading {} partition(s) to their end took longer than {} ms (first open: {}/{}{})",
          open.size(), timeout.count(), tp.topic, tp.partition.value(),
          target >= 0 ? fmt::format(", held by a transaction still open below offset {}", target)
                      : ""));
    }
    internal::MessagePtr msg(
        rd_kafka_consumer_poll(rk, std::min<int>(internal::TimeoutMs(left), 100)));
    if (!msg) continue;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      auto it = open.find({rd_kafka_topic_name(msg->rkt), core::PartitionId(msg->partition)});
      if (it == open.end()) continue;
      // A read_committed end is the last stable offset: a transaction still
      // open (or committed, its markers not yet written) holds it below the
      // high watermark. Its records may be committed, and a store restored
      // without them would redo their effects, so the end waited for is the
      // high watermark seen at the first end; the transactions open then
      // end (commit, abort, or time out) before the read does.
      if (it->second < 0) {
        int64_t low = 0, high = -1;
        rd_kafka_get_watermark_offsets(rk, it->first.topic.c_str(), msg->partition, &low, &high);
        it->second = own.read_committed ? std::max<int64_t>(high, 0) : 0;
        if (msg->offset < it->second) {
          core::Logger("engine.log")
              ->info("reading {}/{} to its end: a transaction is open at offset {} (end {}); "
                     "waiting for it to end",
                     it->first.topic, msg->partition, msg->offset, it->second);
        }
      }
      if (msg->offset >= it->second) open.erase(it);
      continue;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      core::Status error = MessageError(msg.get());
      if (error.code() == core::StatusCode::kDataLoss) {
        return core::DataLossError(error.message() +
                                   ": the start offset is past the partition's end");
      }
      return error;
    }
    RETURN_IF_ERROR(fn(internal::CopyRecord(msg.get(), own.with_headers)));
  }
  return core::Status::Ok();
}

}  // namespace chainflow::engine::log
