#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/abi/abi_type.h"
#include "engine/abi/value.h"

namespace chainflow::engine::abi::internal {

// Where a decode failed, filled only on failure: the path below the
// parameter (`[2].price`) and the canonical type of the value at fault.
struct DecodeFailure {
  std::string path;
  std::string type;
};

// Decodes one ABI word (32 bytes) as an elementary type, strictly: uintN
// bits above N zero, intN sign-extended from bit N-1, address upper 12
// bytes zero, bool 0 or 1, bytesN / function right padding zero.
// InvalidArgument says what is wrong; `failure->type` is set.
core::Status DecodeWord(const AbiType& type, const uint8_t* word, Value* out,
                        DecodeFailure* failure);

// Strict ABI head/tail decoding of one log's data, whose top-level tuple
// starts at byte 0. Never reads outside `data`, never overflows: offsets and
// lengths are bounds-checked in 64-bit arithmetic after checking they fit.
// Memory is bounded by the data's size: at most size/32 leaf values and
// lengths (every one occupies its own word in a canonical encoding) and at
// most size bytes of bytes/string contents in total; encodings whose
// offsets overlap so as to decode to more are InvalidArgument. Recursion
// follows the type, so its depth is at most kMaxTypeDepth.
// Holds a view of `data`; one decoder per log, not thread-safe.
class DataDecoder {
 public:
  explicit DataDecoder(std::string_view data);

  // Decodes the top-level component of type `type` whose head is at
  // `head_pos` (the sum of the head sizes of the components before it).
  core::Status DecodeParam(const AbiType& type, uint64_t head_pos, Value* out,
                           DecodeFailure* failure);

 private:
  core::Status DecodeComponent(const AbiType& type, uint64_t base, uint64_t head_pos, Value* out,
                               DecodeFailure* failure);
  core::Status DecodeAt(const AbiType& type, uint64_t pos, Value* out, DecodeFailure* failure);
  core::Status DecodeBytes(const AbiType& type, uint64_t pos, Value* out, DecodeFailure* failure);
  core::Status DecodeArray(const AbiType& type, uint64_t pos, Value* out, DecodeFailure* failure);
  core::Status DecodeTuple(const AbiType& type, uint64_t pos, Value* out, DecodeFailure* failure);
  core::Status DecodeElements(const AbiType& element, uint64_t count, uint64_t base,
                              ArrayValue* out, DecodeFailure* failure);
  // A word read as an offset or length: < 2^64 and at most `limit`.
  core::Status ReadSize(uint64_t pos, uint64_t limit, std::string_view what, uint64_t* out);
  core::Status TakeValues(uint64_t n);

  const uint8_t* data_;
  uint64_t size_;
  uint64_t values_left_;
  uint64_t bytes_left_;
};

}  // namespace chainflow::engine::abi::internal
