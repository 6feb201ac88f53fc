#include "engine/abi/internal/data_decoder.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace chainflow::engine::abi::internal {

namespace {

constexpr uint64_t kWord = 32;

bool AllBytesAre(const uint8_t* p, size_t n, uint8_t b) {
  return std::all_of(p, p + n, [b](uint8_t x) { return x == b; });
}

core::Status Fail(const AbiType& type, DecodeFailure* failure, std::string reason) {
  if (failure->type.empty()) failure->type = type.canonical();
  return core::InvalidArgumentError(std::move(reason));
}

core::U256 WordToU256(const uint8_t* word) {
  core::Bytes32 bytes;
  std::memcpy(bytes.data(), word, kWord);
  return core::U256FromBytes32(bytes);
}

core::Status DecodeInteger(const AbiType& type, const uint8_t* word, Value* out,
                           DecodeFailure* failure) {
  size_t high = kWord - static_cast<size_t>(type.bits()) / 8;  // bytes above the value
  if (type.kind() == TypeKind::kUint) {
    if (!AllBytesAre(word, high, 0)) {
      return Fail(type, failure, fmt::format("bits above the low {} not zero", type.bits()));
    }
    out->v = UintValue{WordToU256(word), type.bits()};
    return core::Status::Ok();
  }
  uint8_t fill = (word[high] & 0x80) ? 0xff : 0x00;
  if (!AllBytesAre(word, high, fill)) {
    return Fail(type, failure, fmt::format("not sign-extended from {} bits", type.bits()));
  }
  out->v = IntValue{WordToU256(word), type.bits()};
  return core::Status::Ok();
}

}  // namespace

core::Status DecodeWord(const AbiType& type, const uint8_t* word, Value* out,
                        DecodeFailure* failure) {
  switch (type.kind()) {
    case TypeKind::kUint:
    case TypeKind::kInt:
      return DecodeInteger(type, word, out, failure);
    case TypeKind::kAddress: {
      if (!AllBytesAre(word, 12, 0)) return Fail(type, failure, "upper 12 bytes not zero");
      std::array<uint8_t, core::Address::kSize> bytes;
      std::memcpy(bytes.data(), word + 12, bytes.size());
      out->v = AddressValue{core::Address(bytes)};
      return core::Status::Ok();
    }
    case TypeKind::kBool:
      if (!AllBytesAre(word, 31, 0) || word[31] > 1) {
        return Fail(type, failure, "neither 0 nor 1");
      }
      out->v = BoolValue{word[31] == 1};
      return core::Status::Ok();
    case TypeKind::kFixedBytes:
    case TypeKind::kFunction: {
      size_t n = type.size();
      if (!AllBytesAre(word + n, kWord - n, 0)) {
        return Fail(type, failure, fmt::format("padding after the {} bytes not zero", n));
      }
      out->v = FixedBytesValue{std::string(reinterpret_cast<const char*>(word), n)};
      return core::Status::Ok();
    }
    default:
      return Fail(type, failure, "not a one-word type");
  }
}

DataDecoder::DataDecoder(std::string_view data)
    : data_(reinterpret_cast<const uint8_t*>(data.data())),
      size_(data.size()),
      values_left_(data.size() / kWord),
      bytes_left_(data.size()) {}

core::Status DataDecoder::DecodeParam(const AbiType& type, uint64_t head_pos, Value* out,
                                      DecodeFailure* failure) {
  return DecodeComponent(type, 0, head_pos, out, failure);
}

core::Status DataDecoder::TakeValues(uint64_t n) {
  if (n > values_left_) {
    return core::InvalidArgumentError(fmt::format(
        "decodes to more values than {} bytes of data hold (overlapping offsets)", size_));
  }
  values_left_ -= n;
  return core::Status::Ok();
}

core::Status DataDecoder::ReadSize(uint64_t pos, uint64_t limit, std::string_view what,
                                   uint64_t* out) {
  if (pos > size_ || size_ - pos < kWord) {
    return core::InvalidArgumentError(
        fmt::format("the {} at byte {} is past the end of the {}-byte data", what, pos, size_));
  }
  const uint8_t* word = data_ + pos;
  uint64_t value = 0;
  for (size_t i = 24; i < kWord; ++i) value = (value << 8) | word[i];
  if (!AllBytesAre(word, 24, 0) || value > limit) {
    return core::InvalidArgumentError(
        fmt::format("{} {} at byte {} exceeds {}, the most the data can hold", what,
                    core::U256ToDecimal(WordToU256(word)), pos, limit));
  }
  *out = value;
  return core::Status::Ok();
}

core::Status DataDecoder::DecodeComponent(const AbiType& type, uint64_t base, uint64_t head_pos,
                                          Value* out, DecodeFailure* failure) {
  if (!type.is_dynamic()) return DecodeAt(type, head_pos, out, failure);
  uint64_t offset = 0;
  core::Status s = ReadSize(head_pos, size_ - base, "offset", &offset);
  if (!s.ok()) return Fail(type, failure, s.message());
  return DecodeAt(type, base + offset, out, failure);
}

core::Status DataDecoder::DecodeAt(const AbiType& type, uint64_t pos, Value* out,
                                   DecodeFailure* failure) {
  if (type.is_elementary()) {
    if (pos > size_ || size_ - pos < kWord) {
      return Fail(type, failure,
                  fmt::format("the word at byte {} is past the end of the {}-byte data", pos,
                              size_));
    }
    RETURN_IF_ERROR(TakeValues(1));
    return DecodeWord(type, data_ + pos, out, failure);
  }
  switch (type.kind()) {
    case TypeKind::kBytes:
    case TypeKind::kString:
      return DecodeBytes(type, pos, out, failure);
    case TypeKind::kFixedArray:
    case TypeKind::kArray:
      return DecodeArray(type, pos, out, failure);
    default:
      return DecodeTuple(type, pos, out, failure);
  }
}

core::Status DataDecoder::DecodeBytes(const AbiType& type, uint64_t pos, Value* out,
                                      DecodeFailure* failure) {
  uint64_t length = 0;
  // The limit is what is left after the length word (ReadSize checks the word fits first).
  uint64_t left = size_ - std::min(size_, pos + kWord);
  core::Status s = ReadSize(pos, left, "length", &length);
  if (s.ok()) s = TakeValues(1);
  if (s.ok() && length > bytes_left_) {
    s = core::InvalidArgumentError("contents exceed the data (overlapping offsets)");
  }
  if (!s.ok()) return Fail(type, failure, s.message());
  bytes_left_ -= length;
  std::string bytes(reinterpret_cast<const char*>(data_ + pos + kWord), length);
  if (type.kind() == TypeKind::kString) {
    out->v = StringValue{std::move(bytes)};
  } else {
    out->v = BytesValue{std::move(bytes)};
  }
  return core::Status::Ok();
}

core::Status DataDecoder::DecodeArray(const AbiType& type, uint64_t pos, Value* out,
                                      DecodeFailure* failure) {
  const AbiType& element = type.element();
  uint64_t count = type.size();
  uint64_t base = pos;
  if (type.kind() == TypeKind::kArray) {
    uint64_t left = size_ - std::min(size_, pos + kWord);
    // Every element's head takes head_size() >= 32 bytes after the length.
    core::Status s = ReadSize(pos, left / element.head_size(), "element count", &count);
    if (s.ok()) s = TakeValues(1);
    if (!s.ok()) return Fail(type, failure, s.message());
    base = pos + kWord;
  }
  if (base > size_ || (size_ - base) / element.head_size() < count) {
    return Fail(type, failure,
                fmt::format("{} elements from byte {} run past the end of the {}-byte data",
                            count, base, size_));
  }
  ArrayValue array;
  RETURN_IF_ERROR(DecodeElements(element, count, base, &array, failure));
  out->v = std::move(array);
  return core::Status::Ok();
}

core::Status DataDecoder::DecodeElements(const AbiType& element, uint64_t count, uint64_t base,
                                         ArrayValue* out, DecodeFailure* failure) {
  // count * head_size <= size_ - base was checked, so positions do not overflow
  // and `count` is bounded by the data (at most size / 32 elements).
  out->elements.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    core::Status s = DecodeComponent(element, base, base + i * element.head_size(),
                                     &out->elements[i], failure);
    if (!s.ok()) {
      failure->path.insert(0, fmt::format("[{}]", i));
      return s;
    }
  }
  return core::Status::Ok();
}

core::Status DataDecoder::DecodeTuple(const AbiType& type, uint64_t pos, Value* out,
                                      DecodeFailure* failure) {
  const auto& components = type.components();
  if (pos > size_ || size_ - pos < type.inner_head_size()) {
    return Fail(type, failure,
                fmt::format("the tuple at byte {} runs past the end of the {}-byte data", pos,
                            size_));
  }
  TupleValue tuple;
  tuple.names = type.shared_names();
  tuple.fields.resize(components.size());
  uint64_t head = pos;
  for (size_t i = 0; i < components.size(); ++i) {
    core::Status s = DecodeComponent(components[i], pos, head, &tuple.fields[i], failure);
    if (!s.ok()) {
      failure->path.insert(0, "." + type.component_names()[i]);
      return s;
    }
    head += components[i].head_size();
  }
  out->v = std::move(tuple);
  return core::Status::Ok();
}

}  // namespace chainflow::engine::abi::internal
