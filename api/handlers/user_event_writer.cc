#include "api/handlers/user_event_writer.h"

#include <fmt/format.h>

#include "engine/core/metrics.h"

namespace chainflow::api::handlers {
namespace {

// chainflow_user_events_writes_total{result}: how writes ended.
void CountWrite(std::string_view result) {
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_user_events_writes_total",
                  "User event writes (intents, webhooks) by result: appended, duplicate, "
                  "conflict, in_progress, failed",
                  {{"result", std::string(result)}})
      .Inc();
}

std::string_view ResultName(WriteResult result) {
  switch (result) {
    case WriteResult::kAppended: return "appended";
    case WriteResult::kDuplicate: return "duplicate";
    case WriteResult::kConflict: return "conflict";
  }
  return "unknown";
}

}  // namespace

UserEventWriter::UserEventWriter(engine::log::RecordSink& sink, DedupStore& store,
                                 std::chrono::milliseconds flush_timeout)
    : sink_(sink), store_(store), flush_timeout_(flush_timeout) {}

core::Result<WriteOutcome> UserEventWriter::Write(const std::string& dedup_key,
                                                  const std::string& digest,
                                                  const std::string& record_id, int64_t now,
                                                  const BuildRecord& build) {
  {
    std::lock_guard lock(claims_mu_);
    if (!in_flight_.insert(dedup_key).second) {
      CountWrite("in_progress");
      return core::AbortedError("a request with this key is in progress; retry later");
    }
  }
  auto result = WriteClaimed(dedup_key, digest, record_id, now, build);
  CountWrite(result ? ResultName(result.value().result) : "failed");
  std::lock_guard lock(claims_mu_);
  in_flight_.erase(dedup_key);
  return result;
}

core::Result<WriteOutcome> UserEventWriter::WriteClaimed(const std::string& dedup_key,
                                                         const std::string& digest,
                                                         const std::string& record_id,
                                                         int64_t now, const BuildRecord& build) {
  ASSIGN_OR_RETURN(std::optional<DedupEntry> existing, store_.Get(dedup_key));
  DedupEntry entry;
  if (existing) {
    if (existing->digest != digest) {
      return WriteOutcome{WriteResult::kConflict, existing->received_at, existing->record_id};
    }
    if (existing->done) {
      return WriteOutcome{WriteResult::kDuplicate, existing->received_at, existing->record_id};
    }
    entry = *existing;  // pending: append again with the first attempt's time
  } else {
    entry = DedupEntry{false, now, digest, record_id};
    RETURN_IF_ERROR(store_.Put(dedup_key, entry));
  }
  RETURN_IF_ERROR(Append(build(entry.received_at)));
  entry.done = true;
  RETURN_IF_ERROR(store_.Put(dedup_key, entry));
  return WriteOutcome{WriteResult::kAppended, entry.received_at, entry.record_id};
}

core::Status UserEventWriter::Append(const engine::log::OutRecord& record) {
  std::lock_guard lock(append_mu_);
  RETURN_IF_ERROR(sink_.Send(record));
  return sink_.Flush(flush_timeout_);
}

}  // namespace chainflow::api::handlers
