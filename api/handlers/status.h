#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "api/http/message.h"
#include "engine/core/result.h"
#include "engine/core/strong_id.h"

namespace chainflow::api::handlers {

// What `chainflow status` prints and GET /v1/status returns: per chain its
// head, ingested and finalized blocks; per processor and projection consumer
// its offsets and lag. Plain data, assembled outside the API (the app reads
// RPC heads, Kafka watermarks and stored offsets).
struct PipelineStatus {
  struct Chain {
    std::string name;
    std::optional<core::BlockNumber> head;             // nullopt: unknown (no RPC)
    std::optional<core::BlockNumber> ingested_block;   // nullopt: nothing yet
    std::optional<core::BlockNumber> finalized_block;  // nullopt: nothing yet
    uint64_t lag_blocks = 0;                           // head - ingested, 0 if unknown
    // Seconds between now and the last ingested block's timestamp (chains
    // with an RPC only: for history files it would be the file's age).
    std::optional<int64_t> lag_seconds;
    uint64_t reorgs = 0;         // reorgs ingest handled (BlockEnd markers, forks)
    uint64_t deepest_reorg = 0;  // most blocks one reorg reverted
    std::string error;           // why in-process ingest stopped or retries, if it does
    // The finalized block the intents processor's decisions have reached
    // (its tasks' minimum): decisions, settlements and accruals count every
    // block at or below it and none above. Known to the process running the
    // intents tasks only; nullopt elsewhere and for chains without intents.
    std::optional<core::BlockNumber> decisions_block;
  };
  struct Consumer {
    std::string kind;  // "processor" | "projection"
    std::string name;  // e.g. "nft_ownership"
    std::string topic;
    core::PartitionId partition;
    core::Offset next_offset;  // the next offset it will read
    // The partition's last stable offset: the end read_committed readers
    // (processors, projections) reach now.
    core::Offset end_offset;
    int64_t lag = 0;  // end_offset - next_offset
    // Offsets between end_offset and the high watermark: records (and
    // markers) of transactions still open, which no read_committed reader
    // sees yet. A processor's live transactions show here for moments; a
    // killed instance's stay until the broker aborts them
    // (transaction.timeout.ms, then its abort sweep: 10-20 s), and what
    // others commit behind them waits that long.
    int64_t in_open_transactions = 0;
    // A processor's: the group member that owns the partition now
    // (`<instance id>-<thread>`), "" when none does (no instance runs, or
    // the group is rebalancing).
    std::string owner;
    // A processor's: the instances that keep a standby copy of the
    // partition's task (`[engine] num_standby_replicas`, placed by
    // engine/runtime/standby_placement.h), empty when none.
    std::vector<std::string> standbys;
  };
  // An outside service the pipeline needs (Kafka, PostgreSQL), as the last
  // collection found it.
  struct Service {
    std::string name;          // "kafka" | "postgres"
    std::string endpoint;      // what was dialled, secrets redacted (core::RedactUrl)
    bool reachable = true;
    std::string error;         // why not, when !reachable (redacted too)
  };
  std::vector<Chain> chains;
  std::vector<Consumer> consumers;
  std::vector<Service> services;
  bool ready = false;            // caught up enough to serve (the app decides)
  std::string not_ready_reason;  // why not, when !ready
};

// The seam through which the API learns the pipeline's state. Implemented by
// the app; tests pass a fake. Collect() is called on API threads, once per
// /v1/status or /readyz request, possibly concurrently: it must be
// thread-safe and should answer quickly (cache if collecting is slow).
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual core::Result<PipelineStatus> Collect() = 0;
};

// {"ready":..,"not_ready_reason":..,"services":[{"name","endpoint","reachable",
// "error"}],"chains":[{"name","head","ingested_block",
// "finalized_block","lag_blocks","lag_seconds","reorgs","deepest_reorg",
// "decisions_block","error"}],"consumers":[{"kind","name","topic",
// "partition","next_offset","end_offset","lag","in_open_transactions","owner",
// "standbys"}]}; unknown blocks and
// absent errors are null.
boost::json::value PipelineStatusToJson(const PipelineStatus& status);

// GET /v1/status: the JSON above, or the Collect() error.
http::Response HandleStatus(StatusSource& source);
// GET /readyz: 200 {"ready":true}, or 503 {"ready":false,"reason":..,
// "down":[{"name","endpoint","error"}],"error":{"code":"unavailable","message":..}}
// (also when Collect() fails; "down" lists the unreachable services, maybe none).
http::Response HandleReadyz(StatusSource& source);
// GET /healthz: 200 {"status":"ok"} while the server answers at all.
http::Response HandleHealthz();
// GET /metrics: core::MetricsRegistry::Global() in the Prometheus text format.
http::Response HandleMetrics();

}  // namespace chainflow::api::handlers
