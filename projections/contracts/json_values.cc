#include "projections/contracts/json_values.h"

#include <fmt/format.h>

#include "engine/core/address.h"
#include "engine/core/hex.h"
#include "engine/core/u256.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;
namespace json = boost::json;

core::Status Bad(std::string_view what) { return core::InvalidArgumentError(std::string(what)); }

core::Result<std::string> HexBytes(const json::value& j) {
  if (!j.is_string()) return Bad("not a 0x hex string");
  std::string_view text = j.get_string();
  if (text.substr(0, 2) != "0x") return Bad("not a 0x hex string");
  auto bytes = core::FromHex(text);
  if (!bytes) return Bad("not a 0x hex string");
  return std::string(bytes.value().begin(), bytes.value().end());
}

core::Result<abi::Value> Integer(const json::value& j, const abi::AbiType& type) {
  if (!j.is_string()) return Bad("not a decimal string");
  std::string_view text = j.get_string();
  const bool negative = type.kind() == abi::TypeKind::kInt && !text.empty() && text[0] == '-';
  auto magnitude = core::U256FromDecimal(negative ? text.substr(1) : text);
  if (!magnitude) return Bad("not a decimal string");
  const core::U256 m = magnitude.value();
  const int bits = type.bits();
  if (type.kind() == abi::TypeKind::kUint) {
    if (bits < 256 && (m >> bits) != 0) return Bad(fmt::format("above uint{}", bits));
    return abi::Value{abi::UintValue{m, bits}};
  }
  const core::U256 half = core::U256(1) << (bits - 1);  // 2^(N-1)
  if (negative ? m > half : m >= half) return Bad(fmt::format("outside int{}", bits));
  core::U256 twos = negative ? core::U256(0) - m : m;  // wraps modulo 2^256
  return abi::Value{abi::IntValue{twos, bits}};
}

core::Result<abi::Value> Elementary(const json::value& j, const abi::AbiType& type) {
  switch (type.kind()) {
    case abi::TypeKind::kUint:
    case abi::TypeKind::kInt:
      return Integer(j, type);
    case abi::TypeKind::kAddress: {
      if (!j.is_string()) return Bad("not an address");
      auto a = core::Address::FromHex(j.get_string());
      if (!a) return Bad("not 0x + 40 hex digits");
      return abi::Value{abi::AddressValue{a.value()}};
    }
    case abi::TypeKind::kBool:
      if (!j.is_bool()) return Bad("not a boolean");
      return abi::Value{abi::BoolValue{j.get_bool()}};
    case abi::TypeKind::kFixedBytes:
    case abi::TypeKind::kFunction: {
      ASSIGN_OR_RETURN(std::string bytes, HexBytes(j));
      const size_t want = type.kind() == abi::TypeKind::kFunction ? 24 : type.size();
      if (bytes.size() != want) return Bad(fmt::format("{} bytes (want {})", bytes.size(), want));
      return abi::Value{abi::FixedBytesValue{std::move(bytes)}};
    }
    default:
      return Bad("not an elementary type");
  }
}

core::Result<abi::Value> Composite(const json::value& j, const abi::AbiType& type);

core::Result<abi::Value> Any(const json::value& j, const abi::AbiType& type) {
  if (type.is_elementary()) return Elementary(j, type);
  return Composite(j, type);
}

core::Result<abi::Value> Composite(const json::value& j, const abi::AbiType& type) {
  if (type.kind() == abi::TypeKind::kBytes) {
    ASSIGN_OR_RETURN(std::string bytes, HexBytes(j));
    return abi::Value{abi::BytesValue{std::move(bytes)}};
  }
  if (type.kind() == abi::TypeKind::kString) {
    if (!j.is_string()) return Bad("not a string");
    return abi::Value{abi::StringValue{std::string(j.get_string())}};
  }
  if (type.kind() == abi::TypeKind::kTuple) {
    if (!j.is_object()) return Bad("not an object");
    abi::TupleValue tuple{{}, type.shared_names()};
    for (size_t i = 0; i < type.components().size(); ++i) {
      const std::string& name = type.component_names()[i];
      const json::value* field = j.get_object().if_contains(name);
      if (field == nullptr) return Bad(fmt::format(".{}: missing", name));
      auto v = Any(*field, type.components()[i]);
      if (!v) return v.error().WithContext("." + name);
      tuple.fields.push_back(std::move(v).value());
    }
    return abi::Value{std::move(tuple)};
  }
  if (!j.is_array()) return Bad("not an array");
  const json::array& items = j.get_array();
  if (type.kind() == abi::TypeKind::kFixedArray && items.size() != type.size()) {
    return Bad(fmt::format("{} elements (want {})", items.size(), type.size()));
  }
  abi::ArrayValue array;
  for (size_t i = 0; i < items.size(); ++i) {
    auto v = Any(items[i], type.element());
    if (!v) return v.error().WithContext(fmt::format("[{}]", i));
    array.elements.push_back(std::move(v).value());
  }
  return abi::Value{std::move(array)};
}

}  // namespace

core::Result<abi::Value> ValueFromJson(const json::value& j, const abi::AbiType& type,
                                       bool indexed) {
  if (indexed && !type.is_elementary()) {
    ASSIGN_OR_RETURN(std::string bytes, HexBytes(j));
    if (bytes.size() != 32) return Bad("a topic hash of 32 bytes expected");
    abi::TopicHashValue hash;
    std::copy(bytes.begin(), bytes.end(), hash.hash.begin());
    return abi::Value{hash};
  }
  return Any(j, type);
}

}  // namespace chainflow::projections::contracts
