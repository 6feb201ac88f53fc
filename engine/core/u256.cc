#include "engine/core/u256.h"

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::core {

Bytes32 U256ToBytes32(const U256& value) {
  Bytes32 out{};
  U256 v = value;
  for (int i = 31; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return out;
}

U256 U256FromBytes32(const Bytes32& bytes) {
  U256 v = 0;
  for (uint8_t b : bytes) {
    v <<= 8;
    v |= b;
  }
  return v;
}

Result<U256> U256FromBigEndian(std::string_view bytes) {
  if (bytes.size() > 32) {
    return InvalidArgumentError(fmt::format("uint256 of {} bytes (max 32)", bytes.size()));
  }
  U256 v = 0;
  for (char c : bytes) {
    v <<= 8;
    v |= static_cast<uint8_t>(c);
  }
  return v;
}

std::string U256ToBigEndianString(const U256& value) {
  Bytes32 b = U256ToBytes32(value);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string U256ToDecimal(const U256& value) { return value.str(); }

Result<U256> U256FromDecimal(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("empty decimal number");
  if (text.size() > 78) {
    return OutOfRangeError(fmt::format("decimal \"{}\" exceeds uint256", text.substr(0, 90)));
  }
  boost::multiprecision::uint512_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgumentError(
          fmt::format("invalid decimal digit '{}' in \"{}\"", c, text.substr(0, 90)));
    }
    v = v * 10 + (c - '0');
  }
  if (v > boost::multiprecision::uint512_t(std::numeric_limits<U256>::max())) {
    return OutOfRangeError(fmt::format("decimal \"{}\" exceeds uint256", text));
  }
  return static_cast<U256>(v);
}

Result<U256> U256FromHex(std::string_view hex) {
  if (hex.empty() || hex == "0x" || hex == "0X") {
    return InvalidArgumentError("empty hex uint256");
  }
  Bytes32 word{};
  RETURN_IF_ERROR(FromHexPadded(hex, word));
  return U256FromBytes32(word);
}

Result<U256> CheckedAdd(const U256& a, const U256& b) {
  U256 sum = a + b;
  if (sum < a) return OutOfRangeError("uint256 addition overflows");
  return sum;
}

Result<U256> CheckedSub(const U256& a, const U256& b) {
  if (b > a) return OutOfRangeError("uint256 subtraction underflows");
  return a - b;
}

}  // namespace chainflow::engine::core
