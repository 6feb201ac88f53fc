#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors {

// A short sorted list of event times kept under one state key: 8 bytes
// big-endian per time (runtime::EncodeTime), ascending, no duplicates. The
// intents processor lists the epochs with settlements pending this way, the
// epochs processor the epochs still open. Meant for lists of a few entries:
// each change rewrites the value.
std::string EncodeTimes(const std::vector<uint64_t>& times);
// DataLoss when the value is not a whole number of times.
core::Result<std::vector<uint64_t>> DecodeTimes(std::string_view value);

// Adds `t` to the list under `key` (creating it), keeping it sorted; a time
// already listed is not added twice.
core::Status AddTime(state::StateView& state, const std::string& key, uint64_t t);

}  // namespace chainflow::engine::processors
