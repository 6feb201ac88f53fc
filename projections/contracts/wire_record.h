#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chainflow::projections::contracts {

// A protobuf record of <prefix>.contract.<name> read where it lies, without
// copying or allocating: the fields DecodeProtobufRecord reads, as views
// into the serialized value (events.proto: Envelope.contract_event, its
// LogRef and its AbiValues). Valid while that value is.
struct WireRecord {
  // One AbiValue: which member of its `kind` oneof is set (its field number
  // in events.proto: 1 uint_value ... 7 string_value; 0 none) and its bytes,
  // or `flag` for bool_value. Left uninitialized: only the first
  // `value_count` of `values` are set (a record is read in a few hundred
  // nanoseconds; zeroing all of them took a good part of that).
  struct Value {
    int kind;
    std::string_view bytes;
    bool flag;
  };
  static constexpr size_t kMaxValues = 32;

  std::string_view chain;
  uint64_t block_number = 0;
  std::string_view block_hash;
  uint64_t block_timestamp = 0;
  std::string_view tx_hash;
  uint64_t tx_index = 0;
  uint64_t log_index = 0;
  std::string_view address;  // LogRef.contract: the emitting contract's bytes
  std::string_view contract;
  std::string_view event;
  std::string_view signature;
  bool retracted = false;
  size_t value_count = 0;
  std::array<Value, kMaxValues> values;
};

// Reads `value`, a serialized v1::Envelope holding a contract_event, into
// `out`. Takes only the plain shape our writers produce, whose meaning is
// the same whoever parses it: known fields once each (the repeated values
// excepted) with their declared wire types, ASCII text, scalar values (no
// array, tuple or topic hash), at most kMaxValues of them. False for
// anything else, valid or not: the caller then parses the record with
// protobuf (DecodeProtobufRecord), which accepts or rejects it. Checks no
// meaning (sizes, ranges, the contract's name). Pure; thread-safe.
bool ReadWireRecord(std::string_view value, WireRecord* out);

}  // namespace chainflow::projections::contracts
