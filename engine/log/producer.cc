#include "engine/log/producer.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/log/internal/rdkafka.h"

namespace chainflow::engine::log {

using internal::StatusFromError;

namespace {

// How long Send keeps polling when librdkafka's queue is full before giving
// up with ResourceExhausted (the caller then backs off or flushes).
constexpr auto kQueueFullRetryBudget = std::chrono::seconds(2);
constexpr int kQueueFullPollMs = 10;
// Background poll period: bounds how late a delivery report is served.
constexpr int kPollMs = 50;

std::map<std::string, std::string> ProducerProperties(const ProducerOptions& options) {
  std::map<std::string, std::string> p = {
      {"client.id", options.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", "lz4"},
      // Batches fill for up to 200 ms: bigger batches mean fewer produce
      // requests and less work per record for client and broker. Flush()
      // (every processor batch, every ingest range, every API append) sends
      // at once whatever the linger, so no path that waits on a flush pays it.
      // A replay's append is the one stream that never flushes until its end:
      // 200 ms instead of 50 took its produce requests from 2,041 to 895 and
      // the transactions of the processor reading it from 277 to 125
      // (benchmarks/README.md, session 25).
      {"linger.ms", "200"},
      {"batch.num.messages", "10000"},
      {"queue.buffering.max.messages", "1000000"},
      {"queue.buffering.max.kbytes", "1048576"},
      // Topics are created explicitly with their partition count; a typo must
      // not create a one-partition topic behind our back.
      {"allow.auto.create.topics", "false"},
  };
  if (!options.brokers.empty()) p["bootstrap.servers"] = options.brokers;
  if (!options.transactional_id.empty()) p["transactional.id"] = options.transactional_id;
  for (const auto& [name, value] : options.properties) p[name] = value;
  return p;
}

}  // namespace

struct Producer::Impl {
  internal::KafkaPtr rk;
  std::thread poller;
  std::atomic<bool> stopping{false};
  bool transactional = false;
  std::shared_ptr<spdlog::logger> logger = core::Logger("engine.log");

  std::mutex mu;  // guards first_error, appended and the counter caches
  core::Status first_error;
  // Transactional only: the highest acknowledged offset per partition of
  // the open transaction (CommitTransaction hands it out).
  AppendedOffsets appended;
  std::unordered_map<std::string, core::Counter*> produced;
  std::unordered_map<std::string, core::Counter*> delivery_errors;

  std::mutex topics_mu;  // guards topics
  std::unordered_map<std::string, internal::TopicPtr> topics;

  ~Impl() {
    stopping.store(true);
    if (poller.joinable()) poller.join();
    if (rk) {
      // Give outstanding records a last chance; what remains is lost and the
      // owner was told so by not having flushed.
      const int remaining = rd_kafka_outq_len(rk.get());
      if (remaining > 0) {
        if (rd_kafka_flush(rk.get(), 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          logger->warn("producer closed with {} undelivered records",
                       rd_kafka_outq_len(rk.get()));
        }
      }
      topics.clear();  // librdkafka wants its topic handles gone before the client
      rk.reset();      // before the members its callbacks use
    }
  }

  // The client's handle of `name`, created at its first record: producev with
  // a topic name would look the name up (a lock and string compares) and
  // take and drop a reference on every record.
  rd_kafka_topic_t* Topic(const std::string& name) {
    std::lock_guard lock(topics_mu);
    auto it = topics.find(name);
    if (it != topics.end()) return it->second.get();
    rd_kafka_topic_t* handle = rd_kafka_topic_new(rk.get(), name.c_str(), nullptr);
    if (handle == nullptr) return nullptr;  // producev names the error
    topics.emplace(name, internal::TopicPtr(handle));
    return handle;
  }

  core::Counter& CounterFor(std::unordered_map<std::string, core::Counter*>& cache,
                            const char* name, const char* help, const std::string& topic) {
    auto it = cache.find(topic);
    if (it != cache.end()) return *it->second;
    core::Counter& counter =
        core::MetricsRegistry::Global().GetCounter(name, help, {{"topic", topic}});
    cache.emplace(topic, &counter);
    return counter;
  }

  // Runs on the poll thread or inside rd_kafka_flush, possibly both at once.
  void OnDelivery(const rd_kafka_message_t* msg) {
    const std::string topic = rd_kafka_topic_name(msg->rkt);
    std::lock_guard lock(mu);
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      CounterFor(produced, "chainflow_log_produced_records_total",
                 "Records acknowledged by the broker", topic)
          .Inc();
      if (transactional) {
        core::Offset& high = appended[TopicPartition{topic, core::PartitionId(msg->partition)}];
        high = std::max(high, core::Offset(msg->offset));
      }
      return;
    }
    CounterFor(delivery_errors, "chainflow_log_delivery_errors_total",
               "Records the broker did not take", topic)
        .Inc();
    if (first_error.ok()) {
      first_error = StatusFromError(
          msg->err, fmt::format("delivering to {}/{}", topic, msg->partition));
      // A record not acknowledged within message.timeout.ms is lost, not
      // late: Unavailable, so that Flush's DeadlineExceeded only ever means
      // "still in flight" (RecordSink::Flush).
      if (first_error.code() == core::StatusCode::kDeadlineExceeded) {
        first_error = core::UnavailableError(first_error.message());
      }
      logger->warn("{}", first_error.ToString());
    }
  }

  static void DeliveryCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
    static_cast<Impl*>(opaque)->OnDelivery(msg);
  }

  void PollLoop() {
    while (!stopping.load(std::memory_order_relaxed)) rd_kafka_poll(rk.get(), kPollMs);
  }

  core::Status TakeFirstError() {
    std::lock_guard lock(mu);
    core::Status status = std::move(first_error);
    first_error = core::Status::Ok();
    return status;
  }

  core::Status FatalStatus() {
    char buf[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk.get(), buf, sizeof(buf));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return core::Status::Ok();
    return core::FailedPreconditionError(
        fmt::format("producer fatal error {}: {}", rd_kafka_err2name(err), buf));
  }
};

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Producer::~Producer() = default;

core::Result<std::unique_ptr<Producer>> Producer::Open(const ProducerOptions& options) {
  auto impl = std::make_unique<Impl>();
  ASSIGN_OR_RETURN(internal::ConfPtr conf, internal::NewConf(ProducerProperties(options)));
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::DeliveryCallback);
  rd_kafka_conf_set_opaque(conf.get(), impl.get());
  ASSIGN_OR_RETURN(impl->rk, internal::NewClient(RD_KAFKA_PRODUCER, std::move(conf)));
  try {
    impl->poller = std::thread([raw = impl.get()] { raw->PollLoop(); });
  } catch (const std::system_error& e) {
    return core::ResourceExhaustedError(fmt::format("starting the producer poll thread: {}",
                                                    e.what()));
  }
  if (!options.transactional_id.empty()) {
    impl->transactional = true;
    // Fences older producers with the same id and aborts their open
    // transaction; blocks until the coordinator answers.
    RETURN_IF_ERROR(StatusFromError(
        internal::ErrorPtr(rd_kafka_init_transactions(impl->rk.get(), 60000)),
        fmt::format("init_transactions({})", options.transactional_id)));
  }
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

core::Status Producer::Send(const OutRecord& record) {
  rd_kafka_t* rk = impl_->rk.get();
  internal::HeadersPtr headers;
  if (!record.headers.empty()) {
    headers.reset(rd_kafka_headers_new(record.headers.size()));
    for (const Header& h : record.headers) {
      rd_kafka_header_add(headers.get(), h.key.data(), static_cast<ssize_t>(h.key.size()),
                          h.value.data(), h.value.size());
    }
  }
  rd_kafka_topic_t* topic = impl_->Topic(record.topic);
  if (topic == nullptr) {
    return StatusFromError(rd_kafka_last_error(),
                           fmt::format("producing to {}/{}", record.topic,
                                       record.partition.value()));
  }
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (true) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(topic),
        RD_KAFKA_V_PARTITION(record.partition.value()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
        RD_KAFKA_V_VALUE(record.tombstone ? nullptr : const_cast<char*>(record.value.data()),
                         record.tombstone ? 0 : record.value.size()),
        RD_KAFKA_V_TIMESTAMP(record.timestamp_ms), RD_KAFKA_V_HEADERS(headers.get()),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)headers.release();  // now owned by the message
      return core::Status::Ok();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !deadline) {
      deadline = std::chrono::steady_clock::now() + kQueueFullRetryBudget;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < *deadline) {
      // Serve delivery reports to make room (the poll thread does too).
      rd_kafka_poll(rk, kQueueFullPollMs);
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) return impl_->FatalStatus();
    return StatusFromError(err, fmt::format("producing to {}/{}", record.topic,
                                            record.partition.value()));
  }
}

core::Status Producer::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(impl_->rk.get(), internal::TimeoutMs(timeout));
  core::Status delivery = impl_->TakeFirstError();
  if (!delivery.ok()) return delivery;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    RETURN_IF_ERROR(impl_->FatalStatus());
    return StatusFromError(err, fmt::format("flush: {} records still outstanding",
                                            rd_kafka_outq_len(impl_->rk.get())));
  }
  return core::Status::Ok();
}

core::Status Producer::BeginTransaction() {
  if (!impl_->transactional) {
    return core::FailedPreconditionError("BeginTransaction on a producer without transactional_id");
  }
  {
    std::lock_guard lock(impl_->mu);
    impl_->appended.clear();
  }
  return StatusFromError(internal::ErrorPtr(rd_kafka_begin_transaction(impl_->rk.get())),
                         "begin_transaction");
}

core::Status Producer::SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                                const GroupMetadata& group,
                                                std::chrono::milliseconds timeout) {
  if (!impl_->transactional) {
    return core::FailedPreconditionError(
        "SendOffsetsToTransaction on a producer without transactional_id");
  }
  if (offsets.empty()) return core::Status::Ok();
  internal::PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const TopicPartitionOffset& tpo : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tpo.topic.c_str(), tpo.partition.value())
        ->offset = tpo.offset.value();
  }
  using MetadataPtr = std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                                      decltype(&rd_kafka_consumer_group_metadata_destroy)>;
  MetadataPtr metadata(nullptr, &rd_kafka_consumer_group_metadata_destroy);
  if (group.membership.empty()) {
    // A group that only stores offsets (no member, generation -1): the
    // broker accepts transactional commits for it while it has no members.
    metadata.reset(rd_kafka_consumer_group_metadata_new(group.group_id.c_str()));
  } else {
    // A member's: the broker checks its member id and generation, which
    // fences a member the group has dropped.
    rd_kafka_consumer_group_metadata_t* read = nullptr;
    RETURN_IF_ERROR(StatusFromError(
        internal::ErrorPtr(rd_kafka_consumer_group_metadata_read(
            &read, group.membership.data(), group.membership.size())),
        fmt::format("reading the membership of group {}", group.group_id)));
    metadata.reset(read);
  }
  return StatusFromError(
      internal::ErrorPtr(rd_kafka_send_offsets_to_transaction(
          impl_->rk.get(), list.get(), metadata.get(), internal::TimeoutMs(timeout))),
      fmt::format("send_offsets_to_transaction(group {})", group.group_id));
}

core::Result<AppendedOffsets> Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  if (!impl_->transactional) {
    return core::FailedPreconditionError(
        "CommitTransaction on a producer without transactional_id");
  }
  RETURN_IF_ERROR(StatusFromError(internal::ErrorPtr(rd_kafka_commit_transaction(
                                      impl_->rk.get(), internal::TimeoutMs(timeout))),
                                  "commit_transaction"));
  // Delivery errors of this transaction fail the commit itself; one seen
  // here belongs to it all the same.
  RETURN_IF_ERROR(impl_->TakeFirstError());
  std::lock_guard lock(impl_->mu);
  AppendedOffsets appended = std::move(impl_->appended);
  impl_->appended.clear();
  return appended;
}

core::Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  if (!impl_->transactional) {
    return core::FailedPreconditionError("AbortTransaction on a producer without transactional_id");
  }
  core::Status status = StatusFromError(internal::ErrorPtr(rd_kafka_abort_transaction(
                                            impl_->rk.get(), internal::TimeoutMs(timeout))),
                                        "abort_transaction");
  // The aborted records' delivery failures (purged) are expected.
  impl_->TakeFirstError().IgnoreError();
  std::lock_guard lock(impl_->mu);
  impl_->appended.clear();
  return status;
}

}  // namespace chainflow::engine::log
