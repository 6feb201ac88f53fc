#pragma once

#include <vector>

#include "api/handlers/chain_time_feed.h"
#include "engine/core/config.h"
#include "engine/log/admin.h"

namespace chainflow::app {

class IngestRole;

// The chain time sources of the API's user clock (api/handlers/
// user_event_clock.h), one per chain in intents.chains, answering the
// newest block timestamp ingested for that chain:
//   - a chain the in-process `ingest` follows: the follower's last ingested
//     block time (memory only); before its first block, as below;
//   - otherwise (a separate `serve`, or a replay-fed chain): the timestamp
//     of the last record of partition 0 of <prefix>.<chain>.events when it
//     is a BlockEnd, which ingest appends to every partition after each
//     block, so partition 0's tail is the newest complete block whichever
//     process ingests; a tail that is no BlockEnd (a block being appended)
//     or an empty topic answers nullopt. One short-lived Kafka consumer
//     per call (log::Admin::ReadLastRecord).
// `admin` and `ingest` (optional) must outlive the sources. The sources are
// called from one thread at a time.
std::vector<api::handlers::ChainTimeFeed::Source> ChainTimeSources(
    const engine::core::Config& config, engine::log::Admin& admin, const IngestRole* ingest);

}  // namespace chainflow::app
