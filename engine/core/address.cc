#include "engine/core/address.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "engine/core/hex.h"

namespace chainflow::engine::core {

Result<Address> Address::FromHex(std::string_view hex) {
  std::string_view digits = hex;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
  }
  if (digits.size() != kSize * 2) {
    return InvalidArgumentError(
        fmt::format("address \"{}\" is not 20 bytes of hex", hex.substr(0, 80)));
  }
  // FromHex, not FromHexPadded: the latter would strip a second "0x" and
  // accept "0x0x" + 38 digits as a 19-byte value padded to 20.
  ASSIGN_OR_RETURN(std::vector<uint8_t> raw, core::FromHex(digits));
  if (raw.size() != kSize) {
    return InvalidArgumentError(
        fmt::format("address \"{}\" is not 20 bytes of hex", hex.substr(0, 80)));
  }
  std::array<uint8_t, kSize> bytes{};
  std::copy(raw.begin(), raw.end(), bytes.begin());
  return Address(bytes);
}

Result<Address> Address::FromBytes(std::string_view bytes) {
  if (bytes.size() != kSize) {
    return InvalidArgumentError(fmt::format("address of {} bytes (want 20)", bytes.size()));
  }
  std::array<uint8_t, kSize> out{};
  std::memcpy(out.data(), bytes.data(), kSize);
  return Address(out);
}

Result<Address> Address::FromWord(std::string_view word32) {
  if (word32.size() != 32) {
    return InvalidArgumentError(fmt::format("address word of {} bytes (want 32)", word32.size()));
  }
  for (size_t i = 0; i < 12; ++i) {
    if (word32[i] != 0) return InvalidArgumentError("address word has non-zero high bytes");
  }
  return FromBytes(word32.substr(12));
}

std::string Address::ToHex() const { return core::ToHex(std::span<const uint8_t>(bytes_)); }

std::string Address::ToBytes() const {
  return std::string(reinterpret_cast<const char*>(bytes_.data()), kSize);
}

bool Address::IsZero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace chainflow::engine::core
