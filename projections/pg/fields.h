#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::projections::pg {

// Record fields as the text a view's columns receive. Each returns
// InvalidArgument naming `field` when the value cannot be stored, which
// rejects (dead-letters) the record. Pure.

// 20 bytes -> lowercase "0x" hex (addresses).
core::Result<std::string> AddressText(const std::string& bytes, std::string_view field);

// A 32-byte big-endian uint256 -> decimal (NUMERIC(78,0)). With
// `empty_is_zero`, no bytes is 0 too (a sum the producer never added to,
// like AccountSettled's debited of an account that only received).
core::Result<std::string> Uint256Text(const std::string& bytes, std::string_view field,
                                      bool empty_is_zero = false);

// Exactly `size` bytes -> lowercase "0x" hex (digests, hashes).
core::Result<std::string> FixedHexText(const std::string& bytes, size_t size,
                                       std::string_view field);

// A uint64 that must fit BIGINT.
core::Result<int64_t> Bigint(uint64_t value, std::string_view field);

// Text without NUL, which PostgreSQL text cannot hold (protobuf has already
// checked UTF-8); `non_empty` also refuses "".
core::Result<std::string> Text(const std::string& value, std::string_view field,
                               bool non_empty = false);

}  // namespace chainflow::projections::pg
