#include "api/handlers/cursor.h"

#include <array>
#include <vector>

#include <boost/crc.hpp>
#include <fmt/format.h>

namespace chainflow::api::handlers {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kVersion = "c1";
constexpr std::string_view kKeyVersion = "k1";  // EncodeKeyCursor

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string Checksum(std::string_view record, std::string_view scope) {
  boost::crc_32_type crc;
  crc.process_bytes(record.data(), record.size());
  crc.process_byte('\n');
  crc.process_bytes(scope.data(), scope.size());
  return fmt::format("{:08x}", crc.checksum());
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

core::Status Malformed() { return core::InvalidArgumentError("cursor: malformed cursor"); }

// The cursor of `record`: base64url of it and its checksum with `scope`.
std::string Seal(const std::string& record, std::string_view scope) {
  return Base64UrlEncode(record + "\n" + Checksum(record, scope));
}

// The record lines of a cursor whose checksum matches `scope` (the version
// first).
core::Result<std::vector<std::string>> CheckedRecord(std::string_view cursor,
                                                     std::string_view scope) {
  if (cursor.empty() || cursor.size() > 1024) return Malformed();
  auto decoded = Base64UrlDecode(cursor);
  if (!decoded) return Malformed();
  std::string_view text = decoded.value();
  size_t last = text.rfind('\n');
  if (last == std::string_view::npos) return Malformed();
  std::string_view record = text.substr(0, last);
  if (text.substr(last + 1) != Checksum(record, scope)) {
    return core::InvalidArgumentError("cursor: not a cursor of this query (altered or reused)");
  }
  std::vector<std::string> parts;
  for (std::string_view p : Split(record, '\n')) parts.emplace_back(p);
  return parts;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(n >> shift) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = byte(i) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

core::Result<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return core::InvalidArgumentError("base64url: impossible length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = DecodeChar(c);
    if (v < 0) return core::InvalidArgumentError("base64url: invalid character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, so each byte string has one encoding.
  if ((acc & ((1u << bits) - 1)) != 0) {
    return core::InvalidArgumentError("base64url: non-canonical encoding");
  }
  return out;
}

std::string EncodeKeyCursor(const std::vector<std::string>& key, std::string_view scope) {
  return Seal(fmt::format("{}\n{}", kKeyVersion, fmt::join(key, "\n")), scope);
}

core::Result<std::vector<std::string>> DecodeKeyCursor(std::string_view cursor,
                                                       std::string_view scope, size_t fields) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts, CheckedRecord(cursor, scope));
  if (parts.size() != fields + 1 || parts[0] != kKeyVersion) return Malformed();
  return std::vector<std::string>(parts.begin() + 1, parts.end());
}

std::string EncodeCursor(const OwnerNftKey& key, std::string_view scope) {
  std::string record = fmt::format("{}\n{}\n{}\n{}\n{}", kVersion, key.chain,
                                   key.contract.ToHex(), core::U256ToDecimal(key.token_id),
                                   key.standard);
  return Seal(record, scope);
}

core::Result<OwnerNftKey> DecodeCursor(std::string_view cursor, std::string_view scope) {
  ASSIGN_OR_RETURN(std::vector<std::string> parts, CheckedRecord(cursor, scope));
  if (parts.size() != 5 || parts[0] != kVersion || parts[1].empty()) return Malformed();
  OwnerNftKey key;
  key.chain = std::string(parts[1]);
  auto contract = core::Address::FromHex(parts[2]);
  auto token_id = core::U256FromDecimal(parts[3]);
  if (!contract || !token_id) return Malformed();
  key.contract = contract.value();
  key.token_id = token_id.value();
  key.standard = std::string(parts[4]);
  if (key.standard != "erc721" && key.standard != "erc1155") return Malformed();
  return key;
}

}  // namespace chainflow::api::handlers
