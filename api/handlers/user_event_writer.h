#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "api/handlers/dedup_store.h"
#include "engine/core/result.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"

namespace chainflow::api::handlers {

// Where the write endpoints append: the user events topic, its partition
// count (for PartitionForKey), the sink and the dedup store, and the clock
// that stamps received_at. The app owns the sink, the store and what
// `stamp` reads; all must outlive the ApiService.
struct UserEventsOutput {
  engine::log::RecordSink* sink = nullptr;
  DedupStore* store = nullptr;
  std::string topic;       // <prefix>.user.events
  int32_t partitions = 1;
  // received_at of new records: the app's UserEventClock, which the user
  // clock's ticks read too (user_event_clock.h). Empty: the handlers' wall
  // clock (tests).
  std::function<int64_t()> stamp;
};

// How a Write ended.
enum class WriteResult {
  kAppended,   // appended now (first attempt, or a retry of one that may have failed)
  kDuplicate,  // an earlier request with the same key and digest was appended
  kConflict,   // the key was used before with a different digest: nothing appended
};

struct WriteOutcome {
  WriteResult result = WriteResult::kAppended;
  int64_t received_at = 0;  // the event time of the (first) record
  std::string record_id;
};

// Appends user events at most once per dedup key, as far as this process's
// store can tell (api/README.md, "Idempotency"):
//   1. a key already being written by another request: Aborted (409);
//   2. a stored entry with another digest: kConflict; a done one: kDuplicate;
//   3. otherwise store a pending entry (fixing received_at), send the record
//      and wait for the broker's acknowledgement, then mark the entry done.
// A crash or failed append between 3's steps leaves the entry pending; the
// retry appends the same record again (same id, same received_at, same
// bytes), which consumers drop by id. Thread-safe; appends are serialized
// (Flush waits for everything sent, so concurrent flushes would mix errors).
class UserEventWriter {
 public:
  using BuildRecord = std::function<engine::log::OutRecord(int64_t received_at)>;

  UserEventWriter(engine::log::RecordSink& sink, DedupStore& store,
                  std::chrono::milliseconds flush_timeout = std::chrono::seconds(10));

  // `now`: unix seconds, used as received_at for a new key. Errors: Aborted
  // (key in use), the sink's errors (Unavailable, DeadlineExceeded, ...),
  // the store's.
  core::Result<WriteOutcome> Write(const std::string& dedup_key, const std::string& digest,
                                   const std::string& record_id, int64_t now,
                                   const BuildRecord& build);

 private:
  core::Result<WriteOutcome> WriteClaimed(const std::string& dedup_key, const std::string& digest,
                                          const std::string& record_id, int64_t now,
                                          const BuildRecord& build);
  core::Status Append(const engine::log::OutRecord& record);

  engine::log::RecordSink& sink_;
  DedupStore& store_;
  const std::chrono::milliseconds flush_timeout_;
  std::mutex claims_mu_;
  std::set<std::string> in_flight_;  // guarded by claims_mu_
  std::mutex append_mu_;             // one Send+Flush at a time
};

}  // namespace chainflow::api::handlers
