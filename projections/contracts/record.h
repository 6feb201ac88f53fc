#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/abi/decoder.h"
#include "engine/abi/event.h"
#include "engine/abi/value.h"
#include "engine/core/result.h"

namespace chainflow::projections::contracts {

// One record of <prefix>.contract.<name>, in either format the processor
// writes (README.md, "Input"), decoded against the contract's events.
struct ContractRecord {
  std::string chain;
  std::string address;     // the emitting contract, lowercase 0x hex
  int64_t block_number = 0;
  std::string block_hash;  // lowercase 0x hex; "" when the source had none
  int64_t block_timestamp = 0;
  std::string tx_hash;     // lowercase 0x hex
  int32_t tx_index = 0;
  int32_t log_index = 0;
  std::string contract;    // the [[contracts]] name
  std::string event;       // the ABI event name
  std::string signature;
  bool retracted = false;
  // The event among the contract's selected ones (by signature), or null
  // when it is not one of them any more (a changed include list).
  const engine::abi::Event* definition = nullptr;
  // Per input of `definition`, in ABI order. Empty for a retraction that
  // carries no values, and when `definition` is null.
  std::vector<engine::abi::Value> values;
};

// Decodes a record value: a JSON object when it starts with '{', else a
// serialized v1::Envelope with contract_event set. `events` are the
// contract's selected events (CatalogContract::decoder) and must outlive
// the result. InvalidArgument naming the field for anything malformed: not
// the contract `contract`, a missing or ill-typed field, a hash or address
// of the wrong size, a number outside its column (block_number and
// block_timestamp BIGINT, tx_index and log_index INTEGER), values that do
// not fit the event's input types. Pure; thread-safe.
core::Result<ContractRecord> DecodeContractRecord(std::string_view value,
                                                  std::string_view contract,
                                                  const engine::abi::EventDecoder& events);

// The two formats, as DecodeContractRecord picks them.
core::Result<ContractRecord> DecodeProtobufRecord(std::string_view value,
                                                  std::string_view contract,
                                                  const engine::abi::EventDecoder& events);
core::Result<ContractRecord> DecodeJsonRecord(std::string_view value, std::string_view contract,
                                              const engine::abi::EventDecoder& events);

}  // namespace chainflow::projections::contracts
