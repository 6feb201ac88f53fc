#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/abi/event.h"
#include "engine/abi/value.h"

namespace chainflow::engine::abi {

// A log decoded as one of a contract's events.
struct DecodedEvent {
  const Event* event = nullptr;  // owned by the EventDecoder; valid while it lives
  std::vector<Value> values;     // one per event->inputs, in ABI order
};

// Decodes logs of one contract against its selected events.
//
// Matching (README.md, "Matching"):
//  1. topic0 equal to a non-anonymous event's topic0: that event decides.
//     Events sharing a topic0 (e.g. ERC-20 and ERC-721 Transfer in one
//     list) are tried in list order; the first whose topic count fits and
//     whose decode succeeds wins. If none does, InvalidArgument (the error
//     of the first candidate with the right topic count, else a topic-count
//     error): the log is malformed for this ABI (dead-letter it).
//  2. Otherwise anonymous events, in list order, whose indexed-parameter
//     count equals the number of topics; the first that decodes strictly
//     wins.
//  3. Otherwise NotFound: no event of this ABI matches (skip the log; it is
//     not an error of the log).
//
// Values: indexed elementary types (integers, address, bool, bytesN,
// function) are decoded from their topic word with the same strict checks
// as data; indexed strings, bytes, arrays and tuples are TopicHashValue
// (the log holds only the Keccak-256 of their encoding). Non-indexed
// parameters are decoded from `data` as one ABI tuple (internal/
// data_decoder.h has the rules); trailing bytes after what the encoding
// references are ignored. InvalidArgument messages read
// "Ticket.Purchased: parameter `buyer` (address): upper 12 bytes not zero".
//
// Immutable after construction: Decode may be called from any number of
// threads at once.
class EventDecoder {
 public:
  // `events` in ABI order (the order decides among candidates, above).
  explicit EventDecoder(std::vector<Event> events);

  core::Result<DecodedEvent> Decode(std::span<const core::Bytes32> topics,
                                    std::string_view data) const;
  // The same into `out`, whose values' memory is reused (a caller decoding
  // log after log). On an error `out` holds whatever was decoded.
  core::Status Decode(std::span<const core::Bytes32> topics, std::string_view data,
                      DecodedEvent* out) const;

  // Decodes the log as events()[index], without matching: InvalidArgument
  // when the topic count or any value is wrong.
  core::Result<DecodedEvent> DecodeAs(size_t index, std::span<const core::Bytes32> topics,
                                      std::string_view data) const;

  const std::vector<Event>& events() const { return events_; }
  // The event whose canonical signature is `signature`, or nullptr.
  const Event* Find(std::string_view signature) const;

 private:
  struct Layout {
    std::vector<uint64_t> head_pos;  // per input: its head position in data (non-indexed)
  };
  core::Status DecodeInto(size_t index, std::span<const core::Bytes32> topics,
                          std::string_view data, DecodedEvent* out) const;

  std::vector<Event> events_;
  std::vector<Layout> layouts_;
  std::vector<std::pair<core::Bytes32, size_t>> by_topic0_;  // sorted; index into events_
  std::vector<size_t> anonymous_;                              // indexes, in list order
};

}  // namespace chainflow::engine::abi
