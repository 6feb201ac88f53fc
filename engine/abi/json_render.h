#pragma once

#include <string>
#include <string_view>

#include "engine/abi/decoder.h"
#include "engine/abi/value.h"

namespace chainflow::engine::abi {

// JSON text for decoded values: a wire contract with consumers in other
// languages, specified in README.md ("JSON format"). In short: integers as
// decimal strings, addresses and byte strings as lowercase "0x" hex, bools
// as JSON booleans, strings as JSON strings (invalid UTF-8 replaced by
// U+FFFD), arrays as arrays, tuples as objects keyed by component name.
// Compact (no spaces), deterministic. Pure and thread-safe.
std::string ToJson(const Value& value);

// `{"<param name>": <value>, ...}` in ABI order.
std::string EventToJson(const DecodedEvent& event);

// Appends `bytes` as a JSON string literal with quotes: `"` and `\` escaped,
// \b \f \n \r \t as such, other control characters below 0x20 as \u00XX
// (NUL as \u0000), valid UTF-8 copied, each maximal ill-formed subsequence
// (Unicode's "substitution of maximal subparts", as Python and WHATWG
// decoders do) replaced by U+FFFD.
void AppendJsonString(std::string_view bytes, std::string* out);

}  // namespace chainflow::engine::abi
