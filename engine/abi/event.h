#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/abi/abi_type.h"

namespace chainflow::engine::abi {

// One input of an event.
struct EventParam {
  // The ABI's name, or "arg<i>" when the ABI leaves it empty (i: the
  // parameter's position among all the event's inputs, from 0).
  std::string name;
  bool name_generated = false;
  AbiType type = AbiType::Bool();
  bool indexed = false;
};

// An event of a contract's ABI. Immutable once made; thread-safe to read.
struct Event {
  std::string contract;  // the ABI's name, for messages ("Ticket")
  std::string name;      // "Purchased"
  std::vector<EventParam> inputs;
  bool anonymous = false;
  std::string signature;  // canonical: "Purchased(address,uint256,(uint8,string)[])"
  core::Bytes32 topic0{};  // Keccak-256 of `signature`; not in the log when anonymous
  size_t indexed_count = 0;

  // "Ticket.Purchased", the prefix of every message about this event.
  std::string DisplayName() const { return contract + "." + name; }
};

// Builds an event: generated names, signature, topic0. InvalidArgument for
// an empty name, more indexed inputs than topics allow (3, or 4 when
// anonymous) or two inputs with the same name.
core::Result<Event> MakeEvent(std::string contract, std::string name,
                              std::vector<EventParam> inputs, bool anonymous);

// The canonical signature of `Name(type,...)` text written by a person
// (`Transfer(address,address,uint)` -> `Transfer(address,address,uint256)`).
core::Result<std::string> CanonicalSignature(std::string_view text);

// The events an include list selects, in ABI order. An entry is a bare
// event name (every overload of that name) or a signature (canonicalized
// first; one event). An empty list selects every event. An entry that
// matches nothing is InvalidArgument naming it, and so is a malformed one.
core::Result<std::vector<Event>> SelectEvents(const std::vector<Event>& events,
                                              const std::vector<std::string>& include);

// OK when the event's parameter names stay distinct after SnakeCase (as
// columns of one table); otherwise InvalidArgument naming both parameters.
core::Status CheckColumnNames(const Event& event);

}  // namespace chainflow::engine::abi
