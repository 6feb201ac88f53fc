#include "engine/core/u256.h"

#include <cstring>

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::core {

Bytes32 U256ToBytes32(const U256& value) {
  Bytes32 out{};
  // export_bits writes only the significant bytes; right-align them.
  uint8_t tmp[32];
  uint8_t* end = boost::multiprecision::export_bits(value, tmp, 8, /*msv_first=*/true);
  size_t n = static_cast<size_t>(end - tmp);
  std::memcpy(out.data() + (32 - n), tmp, n);
  return out;
}

U256 U256FromBytes32(const Bytes32& bytes) {
  U256 v;
  boost::multiprecision::import_bits(v, bytes.begin(), bytes.end(), 8, /*msv_first=*/true);
  return v;
}

Result<U256> U256FromBigEndian(std::string_view bytes) {
  if (bytes.size() > 32) {
    return InvalidArgumentError(fmt::format("uint256 of {} bytes (max 32)", bytes.size()));
  }
  U256 v = 0;
  if (bytes.empty()) return v;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  boost::multiprecision::import_bits(v, p, p + bytes.size(), 8, /*msv_first=*/true);
  return v;
}

std::string U256ToBigEndianString(const U256& value) {
  Bytes32 b = U256ToBytes32(value);
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string U256ToDecimal(const U256& value) {
  if (value <= std::numeric_limits<uint64_t>::max()) {
    return std::to_string(static_cast<uint64_t>(value));  // the common case, much faster
  }
  return value.str();
}

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
