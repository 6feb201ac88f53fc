#include "engine/core/u256.h"

#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::core {

namespace {

// The conversions below read and write cpp_int's 64-bit limbs (least
// significant first) directly: import_bits/export_bits go bit by bit
// through generic code and were most of the intents processor's time.
using Limb = boost::multiprecision::limb_type;
static_assert(sizeof(Limb) == 8, "U256 conversions assume 64-bit limbs");
static_assert(sizeof(U256().backend().limbs()[0]) == 8);

uint64_t SwapOnLittleEndian(uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
  return v;
}

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return SwapOnLittleEndian(v);
}

void StoreBigEndian64(uint64_t v, uint8_t* p) {
  v = SwapOnLittleEndian(v);
  std::memcpy(p, &v, 8);
}

// From exactly 32 big-endian bytes.
U256 FromBigEndian32(const uint8_t* bytes) {
  U256 v;
  auto& backend = v.backend();
  backend.resize(4, 4);
  for (int i = 0; i < 4; ++i) backend.limbs()[i] = LoadBigEndian64(bytes + 24 - 8 * i);
  backend.normalize();  // drops the high zero limbs
  return v;
}

}  // namespace

Bytes32 U256ToBytes32(const U256& value) {
  Bytes32 out;
  const auto& backend = value.backend();
  for (size_t i = 0; i < 4; ++i) {
    StoreBigEndian64(i < backend.size() ? backend.limbs()[i] : 0, out.data() + 24 - 8 * i);
  }
  return out;
}

U256 U256FromBytes32(const Bytes32& bytes) { return FromBigEndian32(bytes.data()); }

Result<U256> U256FromBigEndian(std::string_view bytes) {
  if (bytes.size() > 32) {
    return InvalidArgumentError(fmt::format("uint256 of {} bytes (max 32)", bytes.size()));
  }
  uint8_t padded[32] = {};
  std::memcpy(padded + (32 - bytes.size()), bytes.data(), bytes.size());
  return FromBigEndian32(padded);
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
