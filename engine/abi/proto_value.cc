#include "engine/abi/proto_value.h"

#include <type_traits>

#include <fmt/format.h>

namespace chainflow::engine::abi {
namespace {

using core::Result;

// Writes `bytes` into `out`, whose capacity a reused message keeps.
void Assign(std::string* out, const void* bytes, size_t size) {
  out->assign(static_cast<const char*>(bytes), size);
}

void AssignWord(std::string* out, const core::U256& v) {
  const core::Bytes32 word = core::U256ToBytes32(v);
  Assign(out, word.data(), word.size());
}

core::Status Mismatch(const AbiType& type, std::string_view why) {
  return core::InvalidArgumentError(fmt::format("abi value for {}: {}", type.canonical(), why));
}

Result<core::U256> ReadWord(const std::string& bytes, const AbiType& type) {
  if (bytes.size() != 32) return Mismatch(type, fmt::format("{}-byte word", bytes.size()));
  return core::U256FromBigEndian(bytes);
}

Result<std::vector<Value>> FromList(const v1::AbiValues& list, const AbiType& element,
                                    const std::vector<AbiType>* components) {
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(list.values_size()));
  for (int i = 0; i < list.values_size(); ++i) {
    const AbiType& type = components ? (*components)[static_cast<size_t>(i)] : element;
    ASSIGN_OR_RETURN(Value v, FromProto(list.values(i), type));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

// Each value is written through mutable_*(): an element of a reused message
// that already holds a value of the same kind keeps its string (ingest
// refills the same messages for every log; see ToProto(values) below).
void ToProto(const Value& value, v1::AbiValue* out) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, UintValue>) {
          AssignWord(out->mutable_uint_value(), v.value);
        } else if constexpr (std::is_same_v<T, IntValue>) {
          AssignWord(out->mutable_int_value(), v.twos_complement);
        } else if constexpr (std::is_same_v<T, AddressValue>) {
          Assign(out->mutable_address_value(), v.address.bytes().data(), v.address.bytes().size());
        } else if constexpr (std::is_same_v<T, BoolValue>) {
          out->set_bool_value(v.value);
        } else if constexpr (std::is_same_v<T, FixedBytesValue>) {
          *out->mutable_fixed_bytes_value() = v.bytes;
        } else if constexpr (std::is_same_v<T, BytesValue>) {
          *out->mutable_bytes_value() = v.bytes;
        } else if constexpr (std::is_same_v<T, StringValue>) {
          *out->mutable_string_value() = v.bytes;
        } else if constexpr (std::is_same_v<T, ArrayValue>) {
          ToProto(v.elements, out->mutable_array_value()->mutable_values());
        } else if constexpr (std::is_same_v<T, TupleValue>) {
          ToProto(v.fields, out->mutable_tuple_value()->mutable_values());
        } else {
          static_assert(std::is_same_v<T, TopicHashValue>);
          Assign(out->mutable_topic_hash(), v.hash.data(), v.hash.size());
        }
      },
      value.v);
}

void ToProto(const std::vector<Value>& values,
             google::protobuf::RepeatedPtrField<v1::AbiValue>* out) {
  const int n = static_cast<int>(values.size());
  while (out->size() > n) out->RemoveLast();
  for (int i = 0; i < n; ++i) {
    ToProto(values[static_cast<size_t>(i)], i < out->size() ? out->Mutable(i) : out->Add());
  }
}

void ClearForReuse(v1::ContractEvent* event) {
  // Clear() would free the LogRef and the values' strings: both are taken
  // out first (pointer swaps; a heap message has no arena).
  v1::LogRef* log = event->has_log() ? event->release_log() : nullptr;
  google::protobuf::RepeatedPtrField<v1::AbiValue> values;
  values.Swap(event->mutable_values());
  event->Clear();
  event->mutable_values()->Swap(&values);
  if (log != nullptr) {
    log->Clear();
    event->set_allocated_log(log);
  }
}

Result<Value> FromProto(const v1::AbiValue& in, const AbiType& type) {
  if (in.has_topic_hash()) {
    if (in.topic_hash().size() != 32) return Mismatch(type, "topic hash of the wrong size");
    TopicHashValue hash;
    std::copy(in.topic_hash().begin(), in.topic_hash().end(), hash.hash.begin());
    return Value{hash};
  }
  switch (type.kind()) {
    case TypeKind::kUint: {
      if (!in.has_uint_value()) return Mismatch(type, "not a uint");
      ASSIGN_OR_RETURN(core::U256 v, ReadWord(in.uint_value(), type));
      return Value{UintValue{v, type.bits()}};
    }
    case TypeKind::kInt: {
      if (!in.has_int_value()) return Mismatch(type, "not an int");
      ASSIGN_OR_RETURN(core::U256 v, ReadWord(in.int_value(), type));
      return Value{IntValue{v, type.bits()}};
    }
    case TypeKind::kAddress: {
      if (!in.has_address_value()) return Mismatch(type, "not an address");
      ASSIGN_OR_RETURN(core::Address a, core::Address::FromBytes(in.address_value()));
      return Value{AddressValue{a}};
    }
    case TypeKind::kBool:
      if (!in.has_bool_value()) return Mismatch(type, "not a bool");
      return Value{BoolValue{in.bool_value()}};
    case TypeKind::kFixedBytes:
    case TypeKind::kFunction:
      if (!in.has_fixed_bytes_value()) return Mismatch(type, "not fixed bytes");
      return Value{FixedBytesValue{in.fixed_bytes_value()}};
    case TypeKind::kBytes:
      if (!in.has_bytes_value()) return Mismatch(type, "not bytes");
      return Value{BytesValue{in.bytes_value()}};
    case TypeKind::kString:
      if (!in.has_string_value()) return Mismatch(type, "not a string");
      return Value{StringValue{in.string_value()}};
    case TypeKind::kFixedArray:
    case TypeKind::kArray: {
      if (!in.has_array_value()) return Mismatch(type, "not an array");
      if (type.kind() == TypeKind::kFixedArray &&
          static_cast<uint64_t>(in.array_value().values_size()) != type.size()) {
        return Mismatch(type, fmt::format("{} elements", in.array_value().values_size()));
      }
      ASSIGN_OR_RETURN(std::vector<Value> elements,
                       FromList(in.array_value(), type.element(), nullptr));
      return Value{ArrayValue{std::move(elements)}};
    }
    case TypeKind::kTuple: {
      if (!in.has_tuple_value()) return Mismatch(type, "not a tuple");
      if (static_cast<size_t>(in.tuple_value().values_size()) != type.components().size()) {
        return Mismatch(type, fmt::format("{} fields", in.tuple_value().values_size()));
      }
      ASSIGN_OR_RETURN(std::vector<Value> fields,
                       FromList(in.tuple_value(), type, &type.components()));
      return Value{TupleValue{std::move(fields), type.shared_names()}};
    }
  }
  return Mismatch(type, "unknown kind");
}

}  // namespace chainflow::engine::abi
