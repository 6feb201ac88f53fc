#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::engine::core {

// A 20-byte EVM address. Rendered as lowercase "0x" hex everywhere
// (PostgreSQL, JSON, record keys).
class Address {
 public:
  static constexpr size_t kSize = 20;

  Address() = default;  // the zero address
  explicit Address(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Accepts "0x" + 40 hex digits, any case.
  static Result<Address> FromHex(std::string_view hex);
  // Accepts exactly 20 raw bytes.
  static Result<Address> FromBytes(std::string_view bytes);
  // The low 20 bytes of a 32-byte ABI word (an indexed address topic). The
  // 12 high bytes must be zero.
  static Result<Address> FromWord(std::string_view word32);

  std::string ToHex() const;
  // The 20 raw bytes, as a string (protobuf `bytes`, state keys).
  std::string ToBytes() const;
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }
  bool IsZero() const;

  auto operator<=>(const Address&) const = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

}  // namespace chainflow::engine::core
