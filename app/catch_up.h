#pragma once

#include <map>
#include <string>
#include <vector>

#include "app/processor_role.h"
#include "app/projector_role.h"
#include "engine/core/status.h"
#include "engine/log/admin.h"
#include "engine/log/record.h"

namespace chainflow::app {

using Offsets = std::map<engine::log::TopicPartition, engine::core::Offset>;

// The end offsets of `topics` (EndOffsets), asked again every second while
// Kafka does not answer (a retryable error: the broker restarting under a
// replay), with a warning every 10 s; Cancelled on shutdown. A replay waits
// out an outage as its processors do instead of exiting.
engine::core::Result<Offsets> EndOffsetsOnceReachable(engine::log::Admin& admin,
                                                      const std::vector<std::string>& topics);

// Waits until the level-0 processors (those reading the chain topics) have
// consumed every partition up to `ends`, one failed (its error), or
// shutdown was requested (Cancelled). Draws a progress bar on a terminal.
engine::core::Status WaitForProcessor(ProcessorRole& processor, const Offsets& ends);

// Waits until every processor is idle: each level in turn up to the end of
// its inputs as it stands once the level before has caught up, in passes
// repeated until a whole pass finds no input end moved since the previous
// one (processors that feed their own or an earlier level's inputs, like the
// intents processor's settlement marks, keep moving them for a while). Only
// then are the processors' output ends final, so callers read the ends a
// projection must reach after this returns. Fails with a processor's error,
// or Cancelled on shutdown.
engine::core::Status WaitForProcessors(ProcessorRole& processor, engine::log::Admin& admin);

// The same for the projections: `ends` may hold partitions of any
// projection's input topic (ProjectorRole::topics()); each projection waits
// for its own, in turn.
engine::core::Status WaitForProjector(ProjectorRole& projector, const Offsets& ends);

}  // namespace chainflow::app
