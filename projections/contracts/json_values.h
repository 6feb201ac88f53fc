#pragma once

#include <boost/json/value.hpp>

#include "engine/abi/abi_type.h"
#include "engine/abi/value.h"
#include "engine/core/result.h"

namespace chainflow::projections::contracts {

// The value of `type` a JSON record's parameter holds, as abi::ToJson
// renders it (engine/abi/README.md, "JSON format"): integers as decimal
// strings (a `-` for intN), addresses and byte strings as 0x hex, bools,
// strings, arrays, tuples as objects keyed by component name. `indexed`
// with a type that is not one word: the 0x + 64 hex topic hash. Strings are
// taken as the UTF-8 JSON gives (NUL included: the text rule removes it
// later). InvalidArgument naming the path inside the value ("[2].amount:
// ...") when it does not fit the type. Pure.
core::Result<engine::abi::Value> ValueFromJson(const boost::json::value& json,
                                               const engine::abi::AbiType& type, bool indexed);

}  // namespace chainflow::projections::contracts
