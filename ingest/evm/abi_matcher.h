#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/catalog.h"
#include "engine/core/address.h"
#include "engine/core/status.h"

namespace chainflow::ingest::evm {

struct DecodedLog;

// One contract event a log decodes to.
struct AbiMatch {
  const engine::abi::CatalogContract* contract = nullptr;
  v1::ContractEvent event;  // contract, event, signature, values (no log: the caller's)
  engine::abi::DecodedEvent decoded;  // the values as decoded
};

// Finds the ABI contracts ([[contracts]] with `abi`) of one chain that a log
// belongs to and decodes it with each (README.md "Contracts by ABI"):
//  - contracts with addresses: a log of one of them, from the contract's
//    start_block on, is decoded; a log no selected event matches is
//    skipped; a log that matches an event but does not decode is an
//    InvalidArgument error (the caller dead-letters it);
//  - factory-made contracts (instances unknown to ingest): any log whose
//    topic0 is one of the contract's events is decoded as a candidate; one
//    that does not decode is skipped (it is another contract's). The
//    contract_events processor keeps only the instances' logs.
// Immutable; safe to use from several threads. The catalog must outlive it.
class AbiMatcher {
 public:
  AbiMatcher(std::string chain, std::vector<const engine::abi::CatalogContract*> contracts);

  bool empty() const { return contracts_.empty(); }
  // True when a factory-made contract needs logs of addresses nobody knows
  // yet: eth_getLogs cannot be restricted to addresses.
  bool NeedsAllLogs() const { return !made_.empty(); }
  // Every configured address (sorted, unique).
  const std::vector<core::Address>& addresses() const { return addresses_; }

  // The contract events of `log` (see above), into the first `*count`
  // elements of `out`: `out` grows when it must, and the elements after
  // them are kept (their memory serves the next log's matches).
  core::Status Match(const DecodedLog& log, std::vector<AbiMatch>* out, size_t* count) const;

 private:
  std::string chain_;
  std::vector<const engine::abi::CatalogContract*> contracts_;
  // (address, contract) of every configured address, sorted by address.
  std::vector<std::pair<core::Address, const engine::abi::CatalogContract*>> by_address_;
  std::vector<const engine::abi::CatalogContract*> made_;  // factory-made
  std::vector<core::Address> addresses_;
};

}  // namespace chainflow::ingest::evm
