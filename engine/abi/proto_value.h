#pragma once

#include <string_view>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/abi_type.h"
#include "engine/abi/value.h"
#include "engine/core/result.h"

namespace chainflow::engine::abi {

// Decoded values as they travel in a ContractEvent (events.proto AbiValue)
// and back. Integers become 32-byte big-endian words (ints in two's
// complement), addresses 20 bytes. Pure; thread-safe.

// `out` is overwritten: the elements `out` already has are refilled in
// place, so a message reused for value after value of the same kinds
// allocates nothing once warm.
void ToProto(const Value& value, v1::AbiValue* out);
void ToProto(const std::vector<Value>& values,
             google::protobuf::RepeatedPtrField<v1::AbiValue>* out);

// Clears `event` for reuse (an event decoded log after log) but keeps the
// memory of its strings, its LogRef and its values: a writer then sets every
// field it wants, the LogRef's too, and overwrites the values (ToProto).
void ClearForReuse(v1::ContractEvent* event);
// The value of `type` that `in` holds (the type gives bit widths and tuple
// names). InvalidArgument when `in` does not fit the type: another kind, a
// word of the wrong size, an array of the wrong length.
core::Result<Value> FromProto(const v1::AbiValue& in, const AbiType& type);

// One scalar member of an AbiValue's `kind` (uint, int, address, bool, fixed
// bytes, bytes, string) as a reader that does not parse the message sees it:
// which member is set, its bytes, or its flag for bool_value.
struct ScalarProto {
  v1::AbiValue::KindCase kind = v1::AbiValue::KIND_NOT_SET;
  std::string_view bytes;
  bool flag = false;
};
// FromProto of such a member, for a `type` of a scalar kind: the same value
// or the same error. InvalidArgument for the other kinds (arrays, tuples).
core::Result<Value> ScalarFromProto(const ScalarProto& in, const AbiType& type);

}  // namespace chainflow::engine::abi
