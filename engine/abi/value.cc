#include "engine/abi/value.h"

#include "engine/core/hex.h"

namespace chainflow::engine::abi {

std::string ToDecimal(const UintValue& value) { return core::U256ToDecimal(value.value); }

std::string ToDecimal(const IntValue& value) {
  if (!value.negative()) return core::U256ToDecimal(value.twos_complement);
  // |x| = ~x + 1 modulo 2^256; for int256 min that is 2^255, still a U256.
  core::U256 magnitude = ~value.twos_complement + 1;
  return "-" + core::U256ToDecimal(magnitude);
}

std::string ToHex(const AddressValue& value) { return value.address.ToHex(); }
std::string ToHex(const std::string& bytes) { return core::ToHex(std::string_view(bytes)); }
std::string ToHex(const TopicHashValue& value) { return core::ToHex(value.hash); }

}  // namespace chainflow::engine::abi
