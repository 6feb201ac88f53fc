#pragma once

#include <string>
#include <string_view>

#include "engine/abi/value.h"

namespace chainflow::projections::contracts {

// The rule for strings PostgreSQL cannot store (README.md, "Strings"):
// text and jsonb hold neither NUL (U+0000) nor invalid UTF-8, while an ABI
// `string` is any bytes. So every NUL byte is removed, and each maximal
// ill-formed UTF-8 subsequence (Unicode's "substitution of maximal
// subparts", the rule abi::AppendJsonString and the JSON record format use)
// becomes one U+FFFD. Valid UTF-8 (emoji, tab, newline, other control
// characters) is kept as it is. Pure; thread-safe.
struct CleanText {
  std::string text;
  bool changed = false;  // a NUL was removed or a byte replaced
};
CleanText CleanString(std::string_view bytes);

// Applies CleanString to every StringValue inside `value` (arrays and
// tuples included); true when any changed.
bool CleanStrings(engine::abi::Value& value);

}  // namespace chainflow::projections::contracts
