#pragma once

#include <cstdint>
#include <memory>

#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "projections/pg/connection.h"
#include "projections/pg/projector.h"

namespace chainflow::projections::token {

// The token projection's loop options: name kProjectionName, topic
// engine/wire/topics.h ([kafka] topic_prefix), the rest from [engine].
pg::ProjectorOptions ProjectorOptionsFor(const core::Config& config, int32_t partitions);

// The projection loop (pg::Projector) over a TokenProjection.
core::Result<std::unique_ptr<pg::Projector>> OpenProjector(
    const pg::ProjectorOptions& options, std::unique_ptr<engine::log::RecordSource> source,
    std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq = nullptr);

}  // namespace chainflow::projections::token
