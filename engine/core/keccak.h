#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/core/u256.h"

namespace chainflow::engine::core {

// Keccak-256 as Ethereum uses it: the original Keccak submission's padding
// (0x01 ... 0x80), not FIPS 202 SHA3-256's (0x06 ... 0x80), so the digests
// differ from SHA3-256 for every input. Event topic0s and function selectors
// are Keccak-256 of their canonical signatures. Pure and thread-safe.
Bytes32 Keccak256(std::span<const uint8_t> data);
Bytes32 Keccak256(std::string_view data);

}  // namespace chainflow::engine::core
