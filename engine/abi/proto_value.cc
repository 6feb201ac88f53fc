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

Result<core::U256> ReadWord(std::string_view bytes, const AbiType& type) {
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
    case TypeKind::kUint:
    case TypeKind::kInt:
    case TypeKind::kAddress:
    case TypeKind::kBool:
    case TypeKind::kFixedBytes:
    case TypeKind::kFunction:
    case TypeKind::kBytes:
    case TypeKind::kString: {
      ScalarProto scalar{in.kind_case(), {}, false};
      switch (in.kind_case()) {
        case v1::AbiValue::kUintValue: scalar.bytes = in.uint_value(); break;
        case v1::AbiValue::kIntValue: scalar.bytes = in.int_value(); break;
        case v1::AbiValue::kAddressValue: scalar.bytes = in.address_value(); break;
        case v1::AbiValue::kBoolValue: scalar.flag = in.bool_value(); break;
        case v1::AbiValue::kFixedBytesValue: scalar.bytes = in.fixed_bytes_value(); break;
        case v1::AbiValue::kBytesValue: scalar.bytes = in.bytes_value(); break;
        case v1::AbiValue::kStringValue: scalar.bytes = in.string_value(); break;
        default: break;
      }
      return ScalarFromProto(scalar, type);
    }
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

Result<Value> ScalarFromProto(const ScalarProto& in, const AbiType& type) {
  switch (type.kind()) {
    case TypeKind::kUint: {
      if (in.kind != v1::AbiValue::kUintValue) return Mismatch(type, "not a uint");
      ASSIGN_OR_RETURN(core::U256 v, ReadWord(in.bytes, type));
      return Value{UintValue{v, type.bits()}};
    }
    case TypeKind::kInt: {
      if (in.kind != v1::AbiValue::kIntValue) return Mismatch(type, "not an int");
      ASSIGN_OR_RETURN(core::U256 v, ReadWord(in.bytes, type));
      return Value{IntValue{v, type.bits()}};
    }
    case TypeKind::kAddress: {
      if (in.kind != v1::AbiValue::kAddressValue) return Mismatch(type, "not an address");
      ASSIGN_OR_RETURN(core::Address a, core::Address::FromBytes(in.bytes));
      return Value{AddressValue{a}};
    }
    case TypeKind::kBool:
      if (in.kind != v1::AbiValue::kBoolValue) return Mismatch(type, "not a bool");
      return Value{BoolValue{in.flag}};
    case TypeKind::kFixedBytes:
    case TypeKind::kFunction:
      if (in.kind != v1::AbiValue::kFixedBytesValue) return Mismatch(type, "not fixed bytes");
      return Value{FixedBytesValue{std::string(in.bytes)}};
    case TypeKind::kBytes:
      if (in.kind != v1::AbiValue::kBytesValue) return Mismatch(type, "not bytes");
      return Value{BytesValue{std::string(in.bytes)}};
    case TypeKind::kString:
      if (in.kind != v1::AbiValue::kStringValue) return Mismatch(type, "not a string");
      return Value{StringValue{std::string(in.bytes)}};
    default:
      return Mismatch(type, "not a scalar type");
  }
}

}  // namespace chainflow::engine::abi
