#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/result.h"
#include "engine/runtime/processor.h"

namespace chainflow::tests::golden {

// The nft_ownership golden dialect (tests/golden/README.md): input lines to
// Envelopes, and emitted events and state to canonical text lines.

struct GoldenInput {
  std::string chain;  // selects the input topic; may be empty for poison
  v1::Envelope envelope;
};

// One input line; an erc1155_batch line expands to one record per element.
core::Result<std::vector<GoldenInput>> ParseNftInput(const std::string& line);

// One emitted event. Fields that follow the convention (topic
// "<prefix>.nft.ownership", the ce_type of the payload, event_time = block
// timestamp, empty id) are left out; anything else is shown.
std::string RenderNftOutput(const engine::runtime::OutputEvent& event,
                            const std::string& topic_prefix);

// The whole state, decoded per the layout in
// engine/processors/nft_ownership/README.md, in key order. Decoded here
// independently of the processor so golden files pin the on-disk layout.
std::vector<std::string> RenderNftState(const std::map<std::string, std::string>& state);

}  // namespace chainflow::tests::golden
