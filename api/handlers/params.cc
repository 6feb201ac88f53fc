#include "api/handlers/params.h"

#include <charconv>

#include <fmt/format.h>

namespace chainflow::api::handlers {

std::string QuoteForMessage(std::string_view value) {
  if (value.size() > 64) return "(value too long to show)";
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return "(value with non-printable characters)";
  }
  return fmt::format("'{}'", value);
}

core::Result<std::string> ParseChain(std::string_view field, std::string_view value,
                                     const std::set<std::string>& known_chains) {
  if (value.empty()) return core::InvalidArgumentError(fmt::format("{}: must not be empty", field));
  if (known_chains.count(std::string(value)) == 0) {
    return core::InvalidArgumentError(
        fmt::format("{}: unknown chain {}", field, QuoteForMessage(value)));
  }
  return std::string(value);
}

core::Result<core::Address> ParseAddress(std::string_view field, std::string_view value) {
  auto address = core::Address::FromHex(value);
  // FromHex also accepts bare hex; the API insists on the 0x form.
  if (!address || value.size() != 42 || value[0] != '0' || (value[1] != 'x' && value[1] != 'X')) {
    return core::InvalidArgumentError(fmt::format(
        "{}: {} is not an address (0x followed by 40 hex digits)", field, QuoteForMessage(value)));
  }
  return address.value();
}

core::Result<core::U256> ParseTokenId(std::string_view field, std::string_view value) {
  auto id = core::U256FromDecimal(value);
  if (!id) {
    return core::InvalidArgumentError(fmt::format(
        "{}: {} is not a decimal integer below 2^256", field, QuoteForMessage(value)));
  }
  return id.value();
}

core::Result<int> ParseLimit(std::string_view field, const std::optional<std::string>& value,
                             int default_value, int max) {
  if (!value) return default_value;
  int parsed = 0;
  const char* begin = value->data();
  const char* end = begin + value->size();
  auto [ptr, ec] = std::from_chars(begin, end, parsed);
  if (value->empty() || ec != std::errc() || ptr != end || parsed < 1 || parsed > max) {
    return core::InvalidArgumentError(
        fmt::format("{}: must be an integer from 1 to {}", field, max));
  }
  return parsed;
}

}  // namespace chainflow::api::handlers
