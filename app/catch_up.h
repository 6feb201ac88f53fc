#pragma once

#include <map>

#include "app/processor_role.h"
#include "app/projector_role.h"
#include "engine/core/status.h"
#include "engine/log/admin.h"
#include "engine/log/record.h"

namespace chainflow::app {

using Offsets = std::map<engine::log::TopicPartition, engine::core::Offset>;

// Waits until the level-0 processors (those reading the chain topics) have
// consumed every partition up to `ends`, one failed (its error), or
// shutdown was requested (Cancelled). Draws a progress bar on a terminal.
engine::core::Status WaitForProcessor(ProcessorRole& processor, const Offsets& ends);

// Every processor level in turn: level 0 up to the current end of the chain
// topics, then each later level up to the end of its input as it stands
// once the level before has caught up.
engine::core::Status WaitForProcessors(ProcessorRole& processor, engine::log::Admin& admin);

// The same for the projections: `ends` may hold partitions of any
// projection's input topic (ProjectorRole::topics()); each projection waits
// for its own, in turn.
engine::core::Status WaitForProjector(ProjectorRole& projector, const Offsets& ends);

}  // namespace chainflow::app
