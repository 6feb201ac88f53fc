#include "projections/contracts/wire_record.h"

#include <limits>

namespace chainflow::projections::contracts {
namespace {

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;

// events.proto field numbers.
constexpr uint32_t kEnvelopeId = 1;
constexpr uint32_t kEnvelopeContractEvent = 90;
enum EventField : uint32_t { kLog = 1, kContract, kEvent, kSignature, kValues, kRetracted };
enum LogField : uint32_t {
  kChain = 1,
  kBlockNumber,
  kBlockHash,
  kBlockTimestamp,
  kTxHash,
  kTxIndex,
  kLogIndex,
  kLogContract,
  kFinalized
};
constexpr uint32_t kBoolValue = 4;
constexpr uint32_t kLastScalarValue = 7;  // string_value; 8-10 are arrays, tuples, topic hashes

// Reads one message's fields in order. Every read fails (false) on a
// truncated or malformed encoding.
class Fields {
 public:
  explicit Fields(std::string_view in) : at_(in.data()), end_(in.data() + in.size()) {}

  bool done() const { return at_ == end_; }

  // The next field's number and wire type.
  bool Next(uint32_t* field, int* type) {
    uint64_t tag = 0;
    if (!Varint(&tag) || tag >> 3 == 0 || tag >> 3 > 536'870'911) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *type = static_cast<int>(tag & 7);
    return true;
  }

  bool Varint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) return false;
      const auto byte = static_cast<uint8_t>(*at_++);
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  }

  bool Bytes(std::string_view* out) {
    uint64_t size = 0;
    if (!Varint(&size) || size > static_cast<uint64_t>(end_ - at_)) return false;
    *out = std::string_view(at_, static_cast<size_t>(size));
    at_ += size;
    return true;
  }

 private:
  const char* at_;
  const char* end_;
};

// Marks `field` seen in `seen`; false when it was already (a second
// occurrence, which protobuf would merge or let win).
bool FirstTime(uint32_t field, uint32_t* seen) {
  const uint32_t bit = 1u << field;
  if (*seen & bit) return false;
  *seen |= bit;
  return true;
}

// Proto3 parsers refuse a `string` field that is not UTF-8; ASCII is.
bool Ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool Text(Fields& in, std::string_view* out) { return in.Bytes(out) && Ascii(*out); }

bool Uint32(Fields& in, uint64_t* out) {
  return in.Varint(out) && *out <= std::numeric_limits<uint32_t>::max();
}

bool ReadLog(std::string_view bytes, WireRecord* out) {
  Fields in(bytes);
  uint32_t seen = 0;
  while (!in.done()) {
    uint32_t field = 0;
    int type = 0;
    if (!in.Next(&field, &type) || field > kFinalized || !FirstTime(field, &seen)) return false;
    const bool length_delimited =
        field == kChain || field == kBlockHash || field == kTxHash || field == kLogContract;
    if (type != (length_delimited ? kLengthDelimited : kVarint)) return false;
    uint64_t ignored = 0;
    bool ok = false;
    switch (field) {
      case kChain: ok = Text(in, &out->chain); break;
      case kBlockNumber: ok = in.Varint(&out->block_number); break;
      case kBlockHash: ok = in.Bytes(&out->block_hash); break;
      case kBlockTimestamp: ok = in.Varint(&out->block_timestamp); break;
      case kTxHash: ok = in.Bytes(&out->tx_hash); break;
      case kTxIndex: ok = Uint32(in, &out->tx_index); break;
      case kLogIndex: ok = Uint32(in, &out->log_index); break;
      case kLogContract: ok = in.Bytes(&out->address); break;
      case kFinalized: ok = in.Varint(&ignored); break;
      default: return false;
    }
    if (!ok) return false;
  }
  return true;
}

bool ReadValue(std::string_view bytes, WireRecord::Value* out) {
  Fields in(bytes);
  *out = WireRecord::Value{0, {}, false};
  while (!in.done()) {
    uint32_t field = 0;
    int type = 0;
    // A second member of the oneof would replace the first: not taken.
    if (!in.Next(&field, &type) || field > kLastScalarValue || out->kind != 0) return false;
    out->kind = static_cast<int>(field);
    if (field == kBoolValue) {
      uint64_t flag = 0;
      if (type != kVarint || !in.Varint(&flag)) return false;
      out->flag = flag != 0;
    } else if (type != kLengthDelimited || !in.Bytes(&out->bytes)) {
      return false;
    }
  }
  return true;
}

bool ReadEvent(std::string_view bytes, WireRecord* out) {
  Fields in(bytes);
  uint32_t seen = 0;
  while (!in.done()) {
    uint32_t field = 0;
    int type = 0;
    if (!in.Next(&field, &type) || field > kRetracted) return false;
    if (field != kValues && !FirstTime(field, &seen)) return false;
    if (type != (field == kRetracted ? kVarint : kLengthDelimited)) return false;
    std::string_view nested;
    uint64_t flag = 0;
    bool ok = false;
    switch (field) {
      case kLog: ok = in.Bytes(&nested) && ReadLog(nested, out); break;
      case kContract: ok = Text(in, &out->contract); break;
      case kEvent: ok = Text(in, &out->event); break;
      case kSignature: ok = Text(in, &out->signature); break;
      case kValues:
        ok = out->value_count < WireRecord::kMaxValues && in.Bytes(&nested) &&
             ReadValue(nested, &out->values[out->value_count++]);
        break;
      case kRetracted:
        ok = in.Varint(&flag);
        out->retracted = flag != 0;
        break;
      default: return false;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool ReadWireRecord(std::string_view value, WireRecord* out) {
  // Every field but the values, which ReadValue sets whole as it counts them.
  out->chain = out->block_hash = out->tx_hash = out->address = {};
  out->contract = out->event = out->signature = {};
  out->block_number = out->block_timestamp = out->tx_index = out->log_index = 0;
  out->retracted = false;
  out->value_count = 0;
  Fields in(value);
  uint32_t seen = 0;
  bool has_event = false;
  while (!in.done()) {
    uint32_t field = 0;
    int type = 0;
    if (!in.Next(&field, &type) || type != kLengthDelimited) return false;
    std::string_view bytes;
    if (field == kEnvelopeId) {
      if (!FirstTime(0, &seen) || !Text(in, &bytes)) return false;
    } else if (field == kEnvelopeContractEvent) {
      if (!FirstTime(1, &seen) || !in.Bytes(&bytes) || !ReadEvent(bytes, out)) return false;
      has_event = true;
    } else {
      return false;  // another payload, or a field this reader does not know
    }
  }
  return has_event;
}

}  // namespace chainflow::projections::contracts
