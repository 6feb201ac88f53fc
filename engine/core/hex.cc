#include "engine/core/hex.h"

#include <array>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chainflow::engine::core {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of each hex digit, 0xff for any other byte.
constexpr std::array<uint8_t, 256> kDigitValue = [] {
  std::array<uint8_t, 256> table{};
  table.fill(0xff);
  for (int c = 0; c < 256; ++c) {
    const int v = HexValue(static_cast<char>(c));
    if (v >= 0) table[static_cast<size_t>(c)] = static_cast<uint8_t>(v);
  }
  return table;
}();

#if defined(__SSE2__)
// 16 hex digits at `in` into 8 bytes at `out`; false when one is not a digit.
bool Decode16(const char* in, uint8_t* out) {
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
  // Signed compares: bytes from 0x80 up are negative and fail both ranges.
  const __m128i is_digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                         _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  // Setting bit 5 lowercases 'A'..'F' and moves no other byte into 'a'..'f'.
  const __m128i lower = _mm_or_si128(c, _mm_set1_epi8(0x20));
  const __m128i is_letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                          _mm_cmplt_epi8(lower, _mm_set1_epi8('f' + 1)));
  if (_mm_movemask_epi8(_mm_or_si128(is_digit, is_letter)) != 0xffff) return false;
  const __m128i nibbles =
      _mm_or_si128(_mm_and_si128(is_digit, _mm_sub_epi8(c, _mm_set1_epi8('0'))),
                   _mm_and_si128(is_letter, _mm_sub_epi8(lower, _mm_set1_epi8('a' - 10))));
  // Each 16-bit lane holds a digit pair, the high nibble in its low byte.
  const __m128i high = _mm_slli_epi16(_mm_and_si128(nibbles, _mm_set1_epi16(0x00ff)), 4);
  const __m128i bytes = _mm_or_si128(high, _mm_srli_epi16(nibbles, 8));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(bytes, bytes));
  return true;
}
#endif

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

bool DecodeHex(std::string_view digits, uint8_t* out) {
  const size_t n = digits.size() / 2;
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 8 <= n; i += 8) {
    if (!Decode16(digits.data() + 2 * i, out + i)) return false;
  }
#endif
  uint8_t bad = 0;
  for (; i < n; ++i) {
    const uint8_t hi = kDigitValue[static_cast<uint8_t>(digits[2 * i])];
    const uint8_t lo = kDigitValue[static_cast<uint8_t>(digits[2 * i + 1])];
    bad |= hi | lo;
    out[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0f));
  }
  return (bad & 0xf0) == 0;
}

Result<std::vector<uint8_t>> FromHex(std::string_view hex) {
  std::string_view digits = StripPrefix(hex);
  if (digits.size() % 2 != 0) {
    return InvalidArgumentError(fmt::format("odd-length hex \"{}\"", hex.substr(0, 80)));
  }
  std::vector<uint8_t> out(digits.size() / 2);
  if (!DecodeHex(digits, out.data())) {
    for (size_t i = 0; i < digits.size(); ++i) {
      if (HexValue(digits[i]) < 0) return BadChar(digits, i);
    }
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
