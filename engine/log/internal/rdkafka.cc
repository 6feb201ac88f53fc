#include "engine/log/internal/rdkafka.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "engine/core/logging.h"

namespace chainflow::engine::log::internal {
namespace {

using core::StatusCode;

StatusCode CodeFor(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return StatusCode::kDeadlineExceeded;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return StatusCode::kResourceExhausted;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_ID_MAPPING:
    case RD_KAFKA_RESP_ERR_INVALID_TXN_STATE:
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:
      return StatusCode::kFailedPrecondition;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__NOENT:
      return StatusCode::kNotFound;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__INVALID_TYPE:
      return StatusCode::kInvalidArgument;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      // Our positions come from our own state: a position the log no longer
      // holds means records were lost (retention, topic recreated).
      return StatusCode::kDataLoss;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return StatusCode::kPermissionDenied;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return StatusCode::kUnauthenticated;
    case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
      return StatusCode::kUnimplemented;
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      return StatusCode::kAborted;
    case RD_KAFKA_RESP_ERR__DESTROY:
      return StatusCode::kCancelled;
    default:
      // Transport, leadership and coordinator errors, and any broker error we
      // do not know: the client recovers from them, so the caller retries.
      return StatusCode::kUnavailable;
  }
}

void LogCallback(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  static const auto logger = core::Logger("engine.log");
  // syslog levels: 0..4 are emergency..warning.
  if (level <= 4) {
    logger->warn("librdkafka {} {}: {}", rk ? rd_kafka_name(rk) : "-", facility, message);
  } else {
    logger->debug("librdkafka {} {}: {}", rk ? rd_kafka_name(rk) : "-", facility, message);
  }
}

void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  static const auto logger = core::Logger("engine.log");
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, buf, sizeof(buf));
    logger->error("librdkafka {} fatal error {}: {}", rd_kafka_name(rk), rd_kafka_err2name(fatal),
                  buf);
    return;
  }
  // Connection failures are already logged (at warning) by the log callback
  // and recovered from by the client.
  const bool transport = code == RD_KAFKA_RESP_ERR__TRANSPORT ||
                         code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                         code == RD_KAFKA_RESP_ERR__RESOLVE;
  logger->log(transport ? spdlog::level::debug : spdlog::level::warn, "librdkafka {} {}: {}",
              rd_kafka_name(rk), rd_kafka_err2name(code), reason);
}

}  // namespace

core::Status StatusFromError(rd_kafka_resp_err_t err, std::string_view context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return core::Status::Ok();
  return core::Status(CodeFor(err), fmt::format("{}: {}: {}", context, rd_kafka_err2name(err),
                                                rd_kafka_err2str(err)));
}

core::Status StatusFromError(ErrorPtr error, std::string_view context) {
  if (!error) return core::Status::Ok();
  rd_kafka_error_t* e = error.get();
  std::string message = fmt::format("{}: {}: {}", context, rd_kafka_error_name(e),
                                    rd_kafka_error_string(e));
  if (rd_kafka_error_is_fatal(e)) return core::FailedPreconditionError("fatal: " + message);
  if (rd_kafka_error_txn_requires_abort(e)) return core::AbortedError(message);
  core::StatusCode code = CodeFor(rd_kafka_error_code(e));
  if (code != StatusCode::kDeadlineExceeded && rd_kafka_error_is_retriable(e)) {
    code = StatusCode::kUnavailable;
  }
  return core::Status(code, std::move(message));
}

core::Status SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    return core::InvalidArgumentError(
        fmt::format("kafka property '{}' = '{}': {}", name, value, errstr));
  }
  return core::Status::Ok();
}

core::Result<ConfPtr> NewConf(const std::map<std::string, std::string>& properties) {
  ConfPtr conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogCallback);
  rd_kafka_conf_set_error_cb(conf.get(), &ErrorCallback);
  // Brokers close idle connections; librdkafka reconnects on demand, so the
  // close is not worth a warning.
  RETURN_IF_ERROR(SetProperty(conf.get(), "log.connection.close", "false"));
  for (const auto& [name, value] : properties) {
    RETURN_IF_ERROR(SetProperty(conf.get(), name, value));
  }
  return conf;
}

core::Result<KafkaPtr> NewClient(rd_kafka_type_t type, ConfPtr conf) {
  char errstr[512];
  // rd_kafka_new takes the conf only on success.
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return core::InvalidArgumentError(fmt::format("creating kafka client: {}", errstr));
  }
  conf.release();
  return KafkaPtr(rk);
}

Record CopyRecord(const rd_kafka_message_t* msg, bool with_headers) {
  Record record;
  record.topic = rd_kafka_topic_name(msg->rkt);
  record.partition = core::PartitionId(msg->partition);
  record.offset = core::Offset(msg->offset);
  if (msg->key != nullptr) record.key.assign(static_cast<const char*>(msg->key), msg->key_len);
  if (msg->payload != nullptr) {
    record.value.assign(static_cast<const char*>(msg->payload), msg->len);
  } else {
    record.tombstone = true;
  }
  rd_kafka_timestamp_type_t ts_type;
  record.timestamp_ms = rd_kafka_message_timestamp(msg, &ts_type);
  if (record.timestamp_ms < 0) record.timestamp_ms = 0;
  rd_kafka_headers_t* headers = nullptr;  // owned by the message
  if (with_headers &&
      rd_kafka_message_headers(msg, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const size_t count = rd_kafka_header_cnt(headers);
    record.headers.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      const char* name = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      if (rd_kafka_header_get_all(headers, i, &name, &value, &size) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        break;
      }
      Header& h = record.headers.emplace_back();
      h.key = name;
      if (value != nullptr) h.value.assign(static_cast<const char*>(value), size);
    }
  }
  return record;
}

int TimeoutMs(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, INT_MAX));
}

}  // namespace chainflow::engine::log::internal
