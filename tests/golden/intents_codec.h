#pragma once

#include <map>
#include <string>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/result.h"
#include "engine/processors/intents/intents.h"
#include "engine/runtime/processor.h"

namespace chainflow::tests::golden {

// The intents golden dialect (tests/golden/README.md): one co-partitioned
// task of the intents processor, fed the deltas and user events lines in
// file order.

struct IntentsGoldenInput {
  std::string topic;  // "cf.token.deltas" or "cf.user.events"
  std::string key;    // the record key (forwarded markers: "<chain>/<upstream>")
  v1::Envelope envelope;
};

// An `options` line sets the processor's options (before any input);
// otherwise one input record.
struct IntentsGoldenLine {
  bool is_options = false;
  engine::processors::intents::IntentsOptions options;
  IntentsGoldenInput input;
};

// The defaults of an intents golden file: chain mainnet with 2 upstream
// partitions, approvals hourly from genesis 0, ttl 1 day, 7-day epochs.
engine::processors::intents::IntentsOptions DefaultIntentsOptions();

core::Result<IntentsGoldenLine> ParseIntentsInput(
    const std::string& line, const engine::processors::intents::IntentsOptions& defaults);

// One emitted IntentStatusChanged (topic, type and key left out when they
// follow the convention).
std::string RenderIntentsOutput(const engine::runtime::OutputEvent& event);

// The state per engine/processors/intents/README.md "State layout", decoded
// here independently of the processor's code.
std::vector<std::string> RenderIntentsState(const std::map<std::string, std::string>& state);

}  // namespace chainflow::tests::golden
