#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/abi/decoder.h"
#include "engine/abi/event.h"
#include "engine/core/config.h"
#include "engine/core/result.h"

namespace chainflow::engine::abi {

// The table and columns an event's rows get (README.md "Tables"): the same
// names for the projection that writes them and the API that reads them.
struct EventTable {
  // snake_case of the event's name; overloads: + "_" + 8 hex of topic0
  std::string table;
  std::vector<std::string> columns;  // per input: snake_case of its name ("_" appended to a
                                     // name the fixed columns use, e.g. `block_number_`)
};

// One [[contracts]] entry by ABI, loaded: its configuration, the events it
// indexes and how to decode them.
struct CatalogContract {
  const core::ContractConfig* config = nullptr;  // in the Config the catalog was loaded from
  // The contract that keys its events on the chain's topic: its factory's
  // name when factory-made, else its own (wire::ContractFamilyKey).
  std::string family;
  EventDecoder decoder;              // the selected events, in ABI order
  std::vector<EventTable> tables;    // per decoder.events() entry
  // Factory-made contracts: the factory's announcing event (its signature)
  // and the index of its `address` parameter naming the instance.
  std::string announced_by;          // signature of the factory's event; empty: no factory
  size_t announced_parameter = 0;

  const std::string& name() const { return config->name; }
};

// Every contract by ABI of a configuration, with its ABI file read and
// checked once at start-up. Errors are InvalidArgument naming the
// contracts[i] entry and the ABI file: an unreadable ABI, an include-list
// entry matching no event, two parameters whose columns collide, a factory
// event or parameter that does not exist or is not an address.
// Immutable once loaded: thread-safe to read. The Config must outlive it.
class Catalog {
 public:
  static core::Result<std::shared_ptr<const Catalog>> Load(const core::Config& config);

  const std::vector<CatalogContract>& contracts() const { return contracts_; }
  // The contract named `name`, or nullptr.
  const CatalogContract* Find(std::string_view name) const;
  // Those of one chain, in configuration order.
  std::vector<const CatalogContract*> OfChain(std::string_view chain) const;

 private:
  std::vector<CatalogContract> contracts_;
};

// The fixed columns every event table starts with, in order.
const std::vector<std::string>& FixedColumns();

}  // namespace chainflow::engine::abi
