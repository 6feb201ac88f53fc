#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"

namespace chainflow::api::handlers {

// Validation of request inputs. Every error is InvalidArgument whose message
// begins with the offending field's name ("contract: must be ..."), which the
// API returns as a 400. Rejected values are echoed only when printable and
// short.

// `value` must be one of `known_chains`.
core::Result<std::string> ParseChain(std::string_view field, std::string_view value,
                                     const std::set<std::string>& known_chains);

// "0x" + 40 hex digits, any case (rendered lowercase by Address::ToHex()).
core::Result<core::Address> ParseAddress(std::string_view field, std::string_view value);

// Plain decimal digits of a value below 2^256.
core::Result<core::U256> ParseTokenId(std::string_view field, std::string_view value);

// An integer in [1, max]; `default_value` when absent.
core::Result<int> ParseLimit(std::string_view field, const std::optional<std::string>& value,
                             int default_value, int max);

// `value` quoted for an error message: printable ASCII up to 64 characters,
// otherwise a placeholder.
std::string QuoteForMessage(std::string_view value);

}  // namespace chainflow::api::handlers
