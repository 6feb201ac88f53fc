#include "engine/processors/common/event_fields.h"

#include <limits>

#include <fmt/format.h>

namespace chainflow::engine::processors {

core::Status ValidateChain(std::string_view chain) {
  if (chain.empty()) return core::InvalidArgumentError("empty chain name");
  for (char c : chain) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return core::InvalidArgumentError(fmt::format("bad chain name \"{}\"", chain));
  }
  return core::Status::Ok();
}

core::Result<core::Address> ParseAddress(const std::string& bytes, std::string_view field) {
  auto address = core::Address::FromBytes(bytes);
  if (!address) return address.error().WithContext(field);
  return address.value();
}

core::Result<core::U256> ParseUint256(const std::string& bytes, std::string_view field) {
  auto value = core::U256FromBigEndian(bytes);
  if (!value) return value.error().WithContext(field);
  return value.value();
}

core::Result<core::Address> ParseLog(const v1::LogRef& log) {
  RETURN_IF_ERROR(ValidateChain(log.chain()).WithContext("log.chain"));
  if (log.block_timestamp() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return core::InvalidArgumentError("log.block_timestamp out of range");
  }
  if (!log.tx_hash().empty() && log.tx_hash().size() != 32) {
    return core::InvalidArgumentError(
        fmt::format("log.tx_hash of {} bytes (want 32)", log.tx_hash().size()));
  }
  return ParseAddress(log.contract(), "log.contract");
}

}  // namespace chainflow::engine::processors
