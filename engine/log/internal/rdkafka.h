#pragma once

// Private to engine/log: RAII ownership of librdkafka handles, error-code
// mapping and client construction shared by Producer, Consumer and Admin.
// Nothing here crosses the component's public headers.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/log/record.h"

namespace chainflow::engine::log::internal {

struct KafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
  void operator()(rd_kafka_DeleteTopic_t* p) const { rd_kafka_DeleteTopic_destroy(p); }
};

using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, KafkaDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, KafkaDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, KafkaDeleter>;
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, KafkaDeleter>;
using DeleteTopicPtr = std::unique_ptr<rd_kafka_DeleteTopic_t, KafkaDeleter>;

// Maps a librdkafka error code to a canonical Status (ok for NO_ERROR):
// transport -> Unavailable, timeouts -> DeadlineExceeded, queue full ->
// ResourceExhausted, fencing/fatal -> FailedPrecondition, unknown topic or
// partition -> NotFound, bad arguments -> InvalidArgument, offsets out of
// range -> DataLoss. The message is "<context>: <ERR_NAME>: <description>".
core::Status StatusFromError(rd_kafka_resp_err_t err, std::string_view context);
// Same for an rd_kafka_error_t (transactions): fatal -> FailedPrecondition,
// requires-abort -> Aborted, otherwise by code. Takes ownership.
core::Status StatusFromError(ErrorPtr error, std::string_view context);

// A configuration with the shared defaults (log routing to "engine.log",
// error callback) and `properties` applied in order. A rejected property is
// InvalidArgument naming it.
core::Result<ConfPtr> NewConf(const std::map<std::string, std::string>& properties);
// Sets one property; InvalidArgument naming it when librdkafka rejects it.
core::Status SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

// Creates a client; takes ownership of `conf` (also on failure).
core::Result<KafkaPtr> NewClient(rd_kafka_type_t type, ConfPtr conf);

// Copies a data message (err == NO_ERROR) into an owning Record.
// Headers are parsed and copied only when `with_headers`.
Record CopyRecord(const rd_kafka_message_t* msg, bool with_headers = true);

// Milliseconds for a librdkafka timeout argument, clamped to int.
int TimeoutMs(std::chrono::milliseconds timeout);

}  // namespace chainflow::engine::log::internal
