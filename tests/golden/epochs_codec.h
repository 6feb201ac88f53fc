#pragma once

#include <map>
#include <string>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/result.h"
#include "engine/processors/epochs/epochs.h"
#include "engine/runtime/processor.h"

namespace chainflow::tests::golden {

// The epochs golden dialect (tests/golden/README.md): one task of the
// epochs processor, fed `<prefix>.settlement.parts` records in file order.

// An `options` line sets the processor's options (before any input);
// otherwise one input envelope.
struct EpochsGoldenLine {
  bool is_options = false;
  engine::processors::epochs::EpochsOptions options;
  v1::Envelope envelope;
};

// Defaults: prefix "cf", 2 intents partitions.
engine::processors::epochs::EpochsOptions DefaultEpochsOptions();

// `part epoch= partition= settled= rejected= digest= totals=` (totals:
// "<chain>:<token>:<amount>:<intents>" joined by ','; start and end default
// to the epoch's 7-day bounds from 0), `mark partition= through=`,
// `no_payload`, `wrong_payload`, `options intents_partitions=`.
core::Result<EpochsGoldenLine> ParseEpochsInput(const std::string& line);

// One emitted EpochSettled.
std::string RenderEpochsOutput(const engine::runtime::OutputEvent& event);

// The state per engine/processors/epochs/README.md "State", decoded here
// independently of the processor's code.
std::vector<std::string> RenderEpochsState(const std::map<std::string, std::string>& state);

}  // namespace chainflow::tests::golden
