#include "projections/pg/fields.h"

#include <fmt/format.h>

#include "engine/core/address.h"
#include "engine/core/hex.h"
#include "engine/core/u256.h"

namespace chainflow::projections::pg {

core::Result<std::string> AddressText(const std::string& bytes, std::string_view field) {
  auto a = core::Address::FromBytes(bytes);
  if (!a) return a.error().WithContext(field);
  return a.value().ToHex();
}

core::Result<std::string> Uint256Text(const std::string& bytes, std::string_view field,
                                      bool empty_is_zero) {
  if (empty_is_zero && bytes.empty()) return std::string("0");
  if (bytes.size() != 32) {
    return core::InvalidArgumentError(fmt::format("{} of {} bytes (want 32)", field, bytes.size()));
  }
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

core::Result<std::string> FixedHexText(const std::string& bytes, size_t size,
                                       std::string_view field) {
  if (bytes.size() != size) {
    return core::InvalidArgumentError(
        fmt::format("{} of {} bytes (want {})", field, bytes.size(), size));
  }
  return core::ToHex(std::string_view(bytes));
}

core::Result<int64_t> Bigint(uint64_t value, std::string_view field) {
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    return core::InvalidArgumentError(fmt::format("{} exceeds bigint", field));
  }
  return static_cast<int64_t>(value);
}

core::Result<std::string> Text(const std::string& value, std::string_view field,
                               bool non_empty) {
  if (non_empty && value.empty()) {
    return core::InvalidArgumentError(fmt::format("{} is empty", field));
  }
  if (value.find('\0') != std::string::npos) {
    return core::InvalidArgumentError(fmt::format("{} contains a NUL character", field));
  }
  return value;
}

}  // namespace chainflow::projections::pg
