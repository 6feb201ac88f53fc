#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/check.h"
#include "engine/core/u256.h"

namespace chainflow::engine::abi {

struct Value;

// uintN: `value` < 2^N.
struct UintValue {
  core::U256 value;
  int bits = 256;
};
// intN in two's complement over 256 bits (sign-extended: the word as it
// appears in the encoding), so int256 min and -1 are representable.
struct IntValue {
  core::U256 twos_complement;
  int bits = 256;
  bool negative() const { return (twos_complement >> 255) != 0; }
};
struct AddressValue {
  core::Address address;
};
struct BoolValue {
  bool value = false;
};
// bytesN (N raw bytes) and `function` (24 raw bytes: address + selector).
struct FixedBytesValue {
  std::string bytes;
};
struct BytesValue {
  std::string bytes;
};
// The raw bytes of a `string`: the ABI does not guarantee UTF-8.
struct StringValue {
  std::string bytes;
};
// T[k] and T[].
struct ArrayValue {
  std::vector<Value> elements;
};
// A struct: `fields` in component order; `names` are the type's component
// names (shared with the AbiType, never null for a decoded tuple).
struct TupleValue {
  std::vector<Value> fields;
  std::shared_ptr<const std::vector<std::string>> names;
};
// An indexed parameter of a dynamic or composite type (string, bytes,
// arrays, tuples): the log carries only the Keccak-256 of its encoding.
struct TopicHashValue {
  core::Bytes32 hash{};
};

// A decoded ABI value: a tree of the kinds above. Thread-compatible.
struct Value {
  using Variant = std::variant<UintValue, IntValue, AddressValue, BoolValue, FixedBytesValue,
                               BytesValue, StringValue, ArrayValue, TupleValue, TopicHashValue>;
  Variant v;

  template <typename T>
  bool is() const { return std::holds_alternative<T>(v); }
  // The value as kind T; CHECKs that it is one (test is<T>() first).
  template <typename T>
  const T& as() const {
    const T* p = std::get_if<T>(&v);
    CF_CHECK(p != nullptr, "abi::Value::as: the value is of another kind");
    return *p;
  }
};

// Decimal digits of an unsigned value ("0", "115792...935").
std::string ToDecimal(const UintValue& value);
// Signed decimal of an intN ("-1", "-578960...968" for int256 min).
std::string ToDecimal(const IntValue& value);
// Lowercase "0x" hex of raw bytes (bytes, bytesN, topic hashes, addresses).
std::string ToHex(const AddressValue& value);
std::string ToHex(const std::string& bytes);
std::string ToHex(const TopicHashValue& value);

}  // namespace chainflow::engine::abi
