#include <cstdint>
#include <string_view>

#include "engine/runtime/processor.h"

namespace chainflow::engine::runtime {
namespace {

// Reads a base-128 varint at `at`; false past the end or beyond 10 bytes.
bool ReadVarint(std::string_view bytes, size_t& at, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 70 && at < bytes.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(bytes[at++]);
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

v1::Envelope::PayloadCase PeekPayload(std::string_view bytes) {
  // Wire types (protobuf encoding): 0 varint, 1 fixed64, 2 length-delimited,
  // 5 fixed32. Groups (3, 4) never occur in chainflow's schemas.
  // Every top-level field is read: as in a parse, the last oneof field wins.
  v1::Envelope::PayloadCase payload = v1::Envelope::PAYLOAD_NOT_SET;
  size_t at = 0;
  while (at < bytes.size()) {
    uint64_t tag = 0;
    if (!ReadVarint(bytes, at, tag)) break;
    const uint64_t field = tag >> 3;
    const int wire_type = static_cast<int>(tag & 7);
    // A payload is a message, so length-delimited; with another wire type a
    // parse keeps the field as unknown, and so does this.
    if (field != v1::Envelope::kIdFieldNumber && wire_type == 2) {
      const auto* descriptor =
          v1::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(field));
      if (descriptor != nullptr && descriptor->containing_oneof() != nullptr) {
        payload = static_cast<v1::Envelope::PayloadCase>(field);
      }
    }
    uint64_t skip = 0;
    switch (wire_type) {
      case 0:
        if (!ReadVarint(bytes, at, skip)) return v1::Envelope::PAYLOAD_NOT_SET;
        break;
      case 1:
        if (bytes.size() - at < 8) return v1::Envelope::PAYLOAD_NOT_SET;
        at += 8;
        break;
      case 2:
        if (!ReadVarint(bytes, at, skip) || skip > bytes.size() - at) {
          return v1::Envelope::PAYLOAD_NOT_SET;
        }
        at += skip;
        break;
      case 5:
        if (bytes.size() - at < 4) return v1::Envelope::PAYLOAD_NOT_SET;
        at += 4;
        break;
      default:
        return v1::Envelope::PAYLOAD_NOT_SET;
    }
  }
  return payload;
}

}  // namespace chainflow::engine::runtime
