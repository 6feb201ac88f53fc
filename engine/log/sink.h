#pragma once

#include <chrono>

#include "engine/core/status.h"
#include "engine/log/record.h"

namespace chainflow::engine::log {

// Where records are appended. Implemented by Producer (Kafka) and by fakes
// in tests. Thread-safe.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Enqueues `record` (copied). Unavailable/ResourceExhausted when the
  // client cannot take it now (retry); FailedPrecondition when fenced.
  virtual core::Status Send(const OutRecord& record) = 0;
  // Waits until every record enqueued so far is acknowledged. Returns the
  // first delivery error since the previous Flush (then the records after the
  // failure may or may not have been appended: the caller redoes its batch).
  virtual core::Status Flush(std::chrono::milliseconds timeout) = 0;
};

}  // namespace chainflow::engine::log
