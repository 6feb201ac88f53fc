#pragma once

#include <string>
#include <string_view>

namespace chainflow::engine::abi {

// A parameter name as a snake_case identifier (future SQL columns):
// lower case; `_` inserted at each word boundary: lower or digit -> upper
// (`tokenId` -> `token_id`, `ERC20Token` -> `erc20_token`) and at the end of
// an acronym (`URIValue` -> `uri_value`; `URI` -> `uri`); characters other
// than ASCII letters and digits become `_`; runs of `_` collapse to one and
// leading/trailing `_` are dropped (`_from` -> `from`). Different names may
// map to the same result: see CheckColumnNames in event.h. Pure.
std::string SnakeCase(std::string_view name);

}  // namespace chainflow::engine::abi
