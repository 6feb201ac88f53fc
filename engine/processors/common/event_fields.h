#pragma once

#include <string>
#include <string_view>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"

namespace chainflow::engine::processors {

// Input checks every processor makes of chain events. Every failure is InvalidArgument
// naming the field: the record is poison and the runtime dead-letters it.

// Chain names become part of state and record keys: [a-z0-9_-]+.
core::Status ValidateChain(std::string_view chain);
// Exactly 20 bytes.
core::Result<core::Address> ParseAddress(const std::string& bytes, std::string_view field);
// At most 32 bytes, big-endian (shorter is left-padded).
core::Result<core::U256> ParseUint256(const std::string& bytes, std::string_view field);
// chain, block timestamp (fits int64), tx hash (empty or 32 bytes); returns
// log.contract (20 bytes).
core::Result<core::Address> ParseLog(const v1::LogRef& log);

}  // namespace chainflow::engine::processors
