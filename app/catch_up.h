#pragma once

#include <map>

#include "app/processor_role.h"
#include "app/projector_role.h"
#include "engine/core/status.h"
#include "engine/log/record.h"

namespace chainflow::app {

using Offsets = std::map<engine::log::TopicPartition, engine::core::Offset>;

// Waits until the processor has consumed every partition up to `ends`, it
// failed (its error), or shutdown was requested (Cancelled). Draws a
// progress bar on a terminal.
engine::core::Status WaitForProcessor(ProcessorRole& processor, const Offsets& ends);

// The same for the projection.
engine::core::Status WaitForProjector(ProjectorRole& projector, const Offsets& ends);

}  // namespace chainflow::app
