#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "engine/abi/event.h"

namespace chainflow::engine::abi {

// The events of a contract's ABI.
struct Abi {
  // The contract's name for messages: an artifact's "contractName" when it
  // has one, otherwise the source's file name without directories and
  // extension ("abis/Ticket.json" -> "Ticket").
  std::string name;
  std::string source;  // the file (or source name) it was read from
  // `type == "event"` entries in ABI order; an entry repeating an earlier
  // one exactly (same signature, same indexed flags) is dropped.
  std::vector<Event> events;
};

// Parses ABI JSON in any of these shapes:
//  - a bare array of entries (solc --abi, Etherscan's "Contract ABI");
//  - an object with an "abi" array (Foundry and Hardhat artifacts);
//  - an Etherscan getabi response: an object whose "result" is a JSON
//    *string* holding the array ("status" "0" is an error with its text).
// Only entries of type "event" are kept; functions, errors, constructors,
// fallback and receive entries are ignored. Errors are InvalidArgument
// naming `source_name`, the entry's index and name, and the input:
// "Ticket.json: entry 3 (Purchased): input 1 (`buyer`): unknown type `adress`".
core::Result<Abi> ParseAbiJson(std::string_view text, std::string_view source_name);

// Reads and parses a file (NotFound when it cannot be read).
core::Result<Abi> LoadAbiFile(const std::string& path);

}  // namespace chainflow::engine::abi
