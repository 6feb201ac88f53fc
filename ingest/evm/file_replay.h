#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// The contracts of `chain` whose final events a replay may write to their own
// topic directly (ingest/README.md "Direct lanes"): neither a factory nor
// made by one, so their records need nothing the contract_events processor
// keeps (instances) or will do (retractions: a history file is final).
std::vector<const engine::abi::CatalogContract*> DirectContracts(
    const engine::abi::Catalog& catalog, std::string_view chain);

// What a replay needs to write contract events directly: each contract
// topic's tail, as `tails` gives the chain topic's.
struct DirectLanes {
  struct Tails {
    std::unique_ptr<common::PartitionTailReader> reader;
    int32_t partitions = 1;  // of the topic
  };
  std::function<core::Result<Tails>(const std::string& topic)> open;
  std::string topic_prefix;
};

// The contracts a replay writes directly, each with its lane.
struct DirectContract {
  const engine::abi::CatalogContract* contract = nullptr;
  size_t lane = 0;
};
using DirectContractMap = std::map<std::string, DirectContract, std::less<>>;

// Appends the history file at `path` (NDJSON, one eth_getLogs log object a
// line, in chain order) to the topic of `chain`, with BlockEnd markers after
// every block that had events. Resumable: what the topic already holds is
// skipped (ChainAppender), so re-running is a no-op and an interrupted run
// continues exactly. Bad lines are dead-lettered under the rule in
// ingest/README.md. Flushes the sink before returning.
//
// With `direct`, the events of DirectContracts go to their contract's topic
// instead of the chain's, in the record the contract_events processor would
// send (engine/abi/contract_record.h), each resumed from its topic's last
// `cf_pos`; a contract whose topic's last record has none (written before
// positions were forwarded) goes through the chain topic. The caller must
// first let contract_events relay what the chain topic already holds.
//
// Errors: NotFound (no such chain / file), the sink's errors (retry the whole
// replay: it resumes). `sink` and `tails` are used only during the call.
// `catalog`: the contracts' ABIs as the caller loaded them (nullptr: loaded
// here from `config`).
core::Result<ReplaySummary> ReplayFile(
    const core::Config& config, const std::string& chain, const std::string& path,
    engine::log::RecordSink& sink, common::PartitionTailReader& tails,
    const ProgressCallback& progress = {},
    std::shared_ptr<const engine::abi::Catalog> catalog = nullptr,
    const DirectLanes* direct = nullptr);

// The same over an already opened appender (tests, callers that share one);
// `direct`: the contracts written directly, their lanes open on `appender`.
core::Result<ReplaySummary> ReplayFileWith(LogDecoder& decoder, common::ChainAppender& appender,
                                           const std::string& path,
                                           const ProgressCallback& progress = {},
                                           const DirectContractMap& direct = {},
                                           std::string_view topic_prefix = "cf");

}  // namespace chainflow::ingest::evm
