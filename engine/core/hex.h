#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace chainflow::engine::core {

// Lowercase hex of `bytes`, with a "0x" prefix.
std::string ToHex(std::span<const uint8_t> bytes);
std::string ToHex(std::string_view bytes);
// Appends the lowercase hex of `bytes` (no prefix) to `out`.
void AppendHex(std::string_view bytes, std::string* out);

// Decodes the bare hex `digits` (even length, either case) into
// digits.size() / 2 bytes at `out`; false when a character is not a hex
// digit (`out` then holds garbage). Sixteen digits at a time with SSE2: every
// log's topics, data and hashes go through it.
bool DecodeHex(std::string_view digits, uint8_t* out);

// Decodes "0x"-prefixed (or bare) hex of even length. InvalidArgument names
// the offending character.
Result<std::vector<uint8_t>> FromHex(std::string_view hex);

// Decodes hex into exactly `out.size()` bytes, left-padding shorter input
// with zeros (as a hex quantity or a 32-byte topic). Longer input is an error.
Status FromHexPadded(std::string_view hex, std::span<uint8_t> out);

// Parses a hex quantity ("0x1a") as uint64; rejects empty, non-hex, overflow.
Result<uint64_t> ParseHexQuantity(std::string_view hex);

}  // namespace chainflow::engine::core
