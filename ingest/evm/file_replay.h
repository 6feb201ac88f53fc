#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/log/sink.h"
#include "ingest/common/appender.h"
#include "ingest/evm/log_decoder.h"

namespace chainflow::ingest::evm {

struct ReplaySummary {
  uint64_t lines = 0;             // lines read (empty lines included)
  uint64_t events_appended = 0;   // events sent in this run
  uint64_t events_skipped = 0;    // events already present (an earlier run appended them)
  uint64_t markers_appended = 0;  // BlockEnd records sent (one per partition and block)
  uint64_t rejected = 0;          // bad lines (decode errors, out of chain order)
  uint64_t dead_lettered = 0;     // rejected lines sent to the DLQ in this run (see README)
  uint64_t blocks = 0;            // blocks with at least one event
  KindCounts kinds;               // per classification of good lines
  double seconds = 0;
};

struct ReplayProgress {
  uint64_t bytes_read = 0;
  uint64_t total_bytes = 0;
  uint64_t events = 0;  // appended + skipped so far
};
// Called from the replaying thread every ~100k lines or 250 ms, and once at
// the end.
using ProgressCallback = std::function<void(const ReplayProgress&)>;

// Appends the history file at `path` (NDJSON, one eth_getLogs log object a
// line, in chain order) to the topic of `chain`, with BlockEnd markers after
// every block that had events. Resumable: what the topic already holds is
// skipped (ChainAppender), so re-running is a no-op and an interrupted run
// continues exactly. Bad lines are dead-lettered under the rule in
// ingest/README.md. Flushes the sink before returning.
//
// Errors: NotFound (no such chain / file), the sink's errors (retry the whole
// replay: it resumes). `sink` and `tails` are used only during the call.
// `catalog`: the contracts' ABIs as the caller loaded them (nullptr: loaded
// here from `config`). `contract_tails`: the tails of the chain's
// `<prefix>.<chain>.contract_events` topic, which then receives the
// contract events (AppenderOptions::contract_topic, kafka.partitions
// partitions); nullptr: they go to the chain's topic.
core::Result<ReplaySummary> ReplayFile(
    const core::Config& config, const std::string& chain, const std::string& path,
    engine::log::RecordSink& sink, common::PartitionTailReader& tails,
    const ProgressCallback& progress = {},
    std::shared_ptr<const engine::abi::Catalog> catalog = nullptr,
    common::PartitionTailReader* contract_tails = nullptr);

// The same over an already opened appender (tests, callers that share one).
core::Result<ReplaySummary> ReplayFileWith(LogDecoder& decoder, common::ChainAppender& appender,
                                           const std::string& path,
                                           const ProgressCallback& progress = {});

}  // namespace chainflow::ingest::evm
