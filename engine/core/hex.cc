#include "engine/core/hex.h"

#include <fmt/format.h>

namespace chainflow::engine::core {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view StripPrefix(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  return hex;
}

Status BadChar(std::string_view hex, size_t pos) {
  return InvalidArgumentError(
      fmt::format("invalid hex character '{}' at position {} in \"{}\"", hex[pos], pos,
                  hex.substr(0, 80)));
}

}  // namespace

void AppendHex(std::string_view bytes, std::string* out) {
  // Sized once and written through a pointer: appending a character at a
  // time checks the capacity twice a byte (hashes and addresses are hex
  // columns of every contract row a projection writes).
  const size_t start = out->size();
  out->resize(start + bytes.size() * 2);
  char* at = out->data() + start;
  for (unsigned char b : bytes) {
    *at++ = kDigits[b >> 4];
    *at++ = kDigits[b & 0xf];
  }
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(2 + bytes.size() * 2);
  out += "0x";
  AppendHex(bytes, &out);
  return out;
}

std::string ToHex(std::span<const uint8_t> bytes) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
  std::string_view digits = StripPrefix(hex);
  if (digits.size() % 2 != 0) {
    return InvalidArgumentError(fmt::format("odd-length hex \"{}\"", hex.substr(0, 80)));
  }
  std::vector<uint8_t> out(digits.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(digits[2 * i]);
    int lo = HexValue(digits[2 * i + 1]);
    if (hi < 0) return BadChar(digits, 2 * i);
    if (lo < 0) return BadChar(digits, 2 * i + 1);
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

Status FromHexPadded(std::string_view hex, std::span<uint8_t> out) {
  std::string_view digits = StripPrefix(hex);
  if (digits.size() > out.size() * 2) {
    return InvalidArgumentError(fmt::format("hex \"{}\" longer than {} bytes",
                                            hex.substr(0, 80), out.size()));
  }
  std::fill(out.begin(), out.end(), 0);
  // Walk from the least significant digit so odd lengths pad correctly.
  size_t byte = out.size();
  for (size_t i = digits.size(); i > 0;) {
    --i;
    int lo = HexValue(digits[i]);
    if (lo < 0) return BadChar(digits, i);
    int hi = 0;
    if (i > 0) {
      --i;
      hi = HexValue(digits[i]);
      if (hi < 0) return BadChar(digits, i);
    }
    out[--byte] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return Status::Ok();
}

Result<uint64_t> ParseHexQuantity(std::string_view hex) {
  std::string_view digits = StripPrefix(hex);
  if (digits.empty()) return InvalidArgumentError("empty hex quantity");
  if (digits.size() > 16) {
    return OutOfRangeError(fmt::format("hex quantity \"{}\" overflows 64 bits", hex));
  }
  uint64_t value = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    int v = HexValue(digits[i]);
    if (v < 0) return BadChar(digits, i);
    value = (value << 4) | static_cast<uint64_t>(v);
  }
  return value;
}

}  // namespace chainflow::engine::core
