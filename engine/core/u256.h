#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/multiprecision/cpp_int.hpp>

#include "engine/core/result.h"

namespace chainflow::engine::core {

// Exact 256-bit unsigned integer (token amounts and ids). Arithmetic wraps
// modulo 2^256; use CheckedAdd/CheckedSub where overflow is an error.
using U256 = boost::multiprecision::uint256_t;

using Bytes32 = std::array<uint8_t, 32>;

// Big-endian 32-byte encoding (the ABI word, our protobuf `bytes` form).
Bytes32 U256ToBytes32(const U256& value);
U256 U256FromBytes32(const Bytes32& bytes);
// From a big-endian byte string of at most 32 bytes (shorter is left-padded).
Result<U256> U256FromBigEndian(std::string_view bytes);
std::string U256ToBigEndianString(const U256& value);  // always 32 bytes

std::string U256ToDecimal(const U256& value);
// Plain decimal digits only; rejects signs, spaces and values >= 2^256.
Result<U256> U256FromDecimal(std::string_view text);
// "0x" hex quantity or 32-byte word; rejects values >= 2^256.
Result<U256> U256FromHex(std::string_view hex);

Result<U256> CheckedAdd(const U256& a, const U256& b);
Result<U256> CheckedSub(const U256& a, const U256& b);

}  // namespace chainflow::engine::core
